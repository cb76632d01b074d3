import sharp from 'sharp';
import { z } from 'zod';
import { renderSlice, type OverlayOptions, type SlicePixels } from './overlay.js';

/** Query options of a rendered slice (GET .../slices/:k.png), with the viewer's defaults. */
export const PngOptionsSchema = z.strictObject({
  plane: z.enum(['axial', 'coronal', 'sagittal']).default('axial'),
  mode: z.enum(['filled', 'outline', 'agreement']).default('filled'),
  /** "centre,width" in image units (HU for CT). */
  window: z
    .string()
    .regex(/^-?\d+(\.\d+)?,\d+(\.\d+)?$/, 'window is "centre,width", e.g. "40,400"')
    .default('40,400')
    .transform((w) => w.split(',').map(Number) as [number, number]),
  /** Comma-separated class values to draw (default: all). */
  classes: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'classes is a comma-separated list of class values, e.g. "1,2"')
    .optional(),
  truth: z.enum(['0', '1']).default('1'),
  prediction: z.enum(['0', '1']).default('1'),
  opacity: z.coerce.number().min(0).max(1).default(0.45),
  /** Integer upscaling (nearest neighbour, so voxels stay crisp), 1-8. */
  scale: z.coerce.number().int().min(1).max(8).default(2),
});
export type PngOptions = z.infer<typeof PngOptionsSchema>;

/** The overlay options of a PNG request; without `classes`, every label value (1..255) is drawn. */
export function overlayOptions(o: PngOptions): OverlayOptions {
  const all = Array.from({ length: 255 }, (_, i) => i + 1);
  return { mode: o.mode, window: o.window, classes: new Set(o.classes ? o.classes.split(',').map(Number) : all), truth: o.truth === '1', prediction: o.prediction === '1', opacity: o.opacity };
}

/**
 * A slice as PNG with sharp: renderSlice's RGBA, upscaled by nearest neighbour, and stretched along the
 * axis with the larger pixel spacing so that the picture has the true in-plane aspect ratio.
 */
export async function slicePng(s: SlicePixels, o: OverlayOptions, scale: number, spacing: [number, number]): Promise<Buffer> {
  const rgba = renderSlice(s, o);
  const unit = Math.min(spacing[0], spacing[1]);
  const width = Math.round(s.width * scale * (spacing[0] / unit));
  const height = Math.round(s.height * scale * (spacing[1] / unit));
  return sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width: s.width, height: s.height, channels: 4 } })
    .resize(width, height, { kernel: 'nearest', fit: 'fill' })
    .png()
    .toBuffer();
}
