import { z } from 'zod';
import { DicomError } from './errors.js';
import { LIMITS } from './limits.js';
import type { DataSet } from './parse.js';

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** The header values ingestion needs from one instance; stored per source file so reruns skip re-parsing. */
export const InstanceHeaderSchema = z.object({
  /** 2 added imageType, 3 per-frame rescale and geometry checks; headers cached by older versions are parsed again. */
  version: z.literal(3),
  sopInstanceUid: z.string(),
  sopClassUid: z.string(),
  studyInstanceUid: z.string(),
  seriesInstanceUid: z.string(),
  patientId: z.string(),
  studyDate: z.string().nullable(),
  studyDescription: z.string().nullable(),
  seriesDescription: z.string().nullable(),
  modality: z.string(),
  /** ImageType (0008,0008), backslash-separated (ORIGINAL\\PRIMARY\\LOCALIZER). */
  imageType: z.string().nullable(),
  transferSyntaxUid: z.string(),
  instanceNumber: z.number().nullable(),
  rows: z.number().int(),
  columns: z.number().int(),
  frames: z.number().int(),
  samplesPerPixel: z.number().int(),
  photometricInterpretation: z.string(),
  bitsAllocated: z.number().int(),
  bitsStored: z.number().int(),
  pixelRepresentation: z.number().int(),
  planarConfiguration: z.number().int(),
  rescaleSlope: z.number(),
  rescaleIntercept: z.number(),
  /** Row then column direction cosines (0020,0037) or the shared functional group's. */
  orientation: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]).nullable(),
  /** (row spacing, column spacing) in mm: PixelSpacing (0028,0030). */
  pixelSpacing: z.tuple([z.number(), z.number()]).nullable(),
  /** ImagePositionPatient of each frame (one entry for single-frame images). */
  framePositions: z.array(Vec3).nullable(),
  sliceThickness: z.number().nullable(),
  gantryTilt: z.number().nullable(),
  hasPixelData: z.boolean(),
  /** Enhanced multi-frame: [slope, intercept] of each frame when its Pixel Value Transformation differs between frames. */
  frameRescale: z.array(z.tuple([z.number(), z.number()])).nullable(),
  /** Enhanced multi-frame: why the frames cannot form one volume (orientation or pixel spacing differ between frames), else null. */
  frameGeometryProblem: z.string().nullable(),
});
export type InstanceHeader = z.infer<typeof InstanceHeaderSchema>;

const str = (ds: DataSet, tag: string): string | null => {
  const v = ds.string(tag);
  return v === undefined || v.trim() === '' ? null : v.trim();
};

const numbers = (ds: DataSet | undefined, tag: string): number[] | null => {
  const v = ds?.string(tag);
  if (!v) return null;
  const parts = v.split('\\').map((p) => Number(p.trim()));
  return parts.every((p) => Number.isFinite(p)) ? parts : null;
};

const uint16 = (ds: DataSet, tag: string, fallback: number): number => (ds.elements[tag] ? (ds.uint16(tag) ?? fallback) : fallback);

/** First item of a sequence element, e.g. a functional group's macro. */
const item = (ds: DataSet | undefined, tag: string): DataSet | undefined => ds?.elements[tag]?.items?.[0]?.dataSet;

/**
 * Reads the instance header. Enhanced multi-frame objects keep geometry and rescale in functional
 * groups (5200,9229 shared / 5200,9230 per frame) instead of the top level, so both are consulted.
 */
export function readInstanceHeader(ds: DataSet, transferSyntaxUid: string): InstanceHeader {
  const shared = item(ds, 'x52009229');
  const perFrame = ds.elements.x52009230?.items ?? [];
  const frames = Math.max(1, Number.parseInt(str(ds, 'x00280008') ?? '1', 10) || 1);
  // Checked before anything is sized by it (frame positions below, pixel buffers later).
  if (frames > LIMITS.maxFrames) throw new DicomError(`NumberOfFrames (0028,0008) is ${frames}, beyond the limit of ${LIMITS.maxFrames} frames per file`, 'malformed');

  const orientation = (numbers(ds, 'x00200037') ?? numbers(item(shared, 'x00209116'), 'x00200037') ?? numbers(item(perFrame[0]?.dataSet, 'x00209116'), 'x00200037')) as InstanceHeader['orientation'] | null;
  const spacing = numbers(ds, 'x00280030') ?? numbers(item(shared, 'x00289110'), 'x00280030') ?? numbers(item(perFrame[0]?.dataSet, 'x00289110'), 'x00280030');
  const thickness = numbers(ds, 'x00180050') ?? numbers(item(shared, 'x00289110'), 'x00180050');

  let framePositions: [number, number, number][] | null = null;
  if (perFrame.length > 0) {
    const positions = perFrame.map((f) => numbers(item(f.dataSet, 'x00209113'), 'x00200032'));
    if (positions.every((p) => p && p.length === 3)) framePositions = positions as [number, number, number][];
  }
  if (!framePositions) {
    const ipp = numbers(ds, 'x00200032');
    if (ipp && ipp.length === 3) {
      framePositions = [ipp as [number, number, number]];
      // Legacy multi-frame (one position, fixed spacing): frames step along the slice normal.
      const step = numbers(ds, 'x00180088')?.[0] ?? thickness?.[0];
      if (frames > 1 && orientation && orientation.length === 6 && step) {
        const n = [orientation[1] * orientation[5] - orientation[2] * orientation[4], orientation[2] * orientation[3] - orientation[0] * orientation[5], orientation[0] * orientation[4] - orientation[1] * orientation[3]];
        framePositions = [...Array(frames).keys()].map((f) => [ipp[0] + f * step * n[0], ipp[1] + f * step * n[1], ipp[2] + f * step * n[2]]);
      }
    }
  }

  const rescale = item(shared, 'x00289145') ?? item(perFrame[0]?.dataSet, 'x00289145');
  const perFrameRescale = perFrame.map((f) => {
    const t = item(f.dataSet, 'x00289145');
    return t ? ([numbers(t, 'x00281053')?.[0] ?? 1, numbers(t, 'x00281052')?.[0] ?? 0] as [number, number]) : null;
  });
  const frameRescale =
    !item(shared, 'x00289145') && perFrameRescale.length === frames && perFrameRescale.every((r) => r !== null) && perFrameRescale.some((r) => r![0] !== perFrameRescale[0]![0] || r![1] !== perFrameRescale[0]![1])
      ? (perFrameRescale as [number, number][])
      : null;
  const slope = numbers(ds, 'x00281053')?.[0] ?? numbers(rescale, 'x00281053')?.[0] ?? 1;
  const intercept = numbers(ds, 'x00281052')?.[0] ?? numbers(rescale, 'x00281052')?.[0] ?? 0;
  const bitsAllocated = uint16(ds, 'x00280100', 0);
  const instanceNumber = numbers(ds, 'x00200013')?.[0] ?? null;

  return {
    version: 3,
    sopInstanceUid: str(ds, 'x00080018') ?? str(ds, 'x00020003') ?? '',
    sopClassUid: str(ds, 'x00080016') ?? str(ds, 'x00020002') ?? '',
    studyInstanceUid: str(ds, 'x0020000d') ?? '',
    seriesInstanceUid: str(ds, 'x0020000e') ?? '',
    patientId: str(ds, 'x00100020') ?? '',
    studyDate: str(ds, 'x00080020'),
    studyDescription: str(ds, 'x00081030'),
    seriesDescription: str(ds, 'x0008103e'),
    modality: str(ds, 'x00080060') ?? 'OT',
    imageType: str(ds, 'x00080008'),
    transferSyntaxUid,
    instanceNumber,
    rows: uint16(ds, 'x00280010', 0),
    columns: uint16(ds, 'x00280011', 0),
    frames,
    samplesPerPixel: uint16(ds, 'x00280002', 1),
    photometricInterpretation: str(ds, 'x00280004') ?? 'MONOCHROME2',
    bitsAllocated,
    bitsStored: uint16(ds, 'x00280101', bitsAllocated),
    pixelRepresentation: uint16(ds, 'x00280103', 0),
    planarConfiguration: uint16(ds, 'x00280006', 0),
    rescaleSlope: slope,
    rescaleIntercept: intercept,
    orientation: orientation && orientation.length === 6 ? orientation : null,
    pixelSpacing: spacing && spacing.length >= 2 ? [spacing[0], spacing[1]] : null,
    framePositions,
    sliceThickness: thickness?.[0] ?? null,
    gantryTilt: numbers(ds, 'x00181120')?.[0] ?? null,
    hasPixelData: Boolean(ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009),
    frameRescale,
    frameGeometryProblem: frameGeometryProblem(
      shared,
      perFrame.map((f) => f.dataSet),
    ),
  };
}

/**
 * Per-frame Plane Orientation or Pixel Measures that differ from the first frame's: such a file is not
 * one volume (a multi-planar or mixed-resolution acquisition). Tolerances: 1e-4 in direction cosines,
 * 1e-3 mm in spacing.
 */
function frameGeometryProblem(shared: DataSet | undefined, frames: (DataSet | undefined)[]): string | null {
  const orientationOf = (f: DataSet | undefined) => numbers(item(f, 'x00209116'), 'x00200037') ?? numbers(item(shared, 'x00209116'), 'x00200037');
  const spacingOf = (f: DataSet | undefined) => numbers(item(f, 'x00289110'), 'x00280030') ?? numbers(item(shared, 'x00289110'), 'x00280030');
  const first = { orientation: orientationOf(frames[0]), spacing: spacingOf(frames[0]) };
  for (let f = 1; f < frames.length; f++) {
    const orientation = orientationOf(frames[f]);
    if (orientation && first.orientation && orientation.some((v, i) => Math.abs(v - first.orientation![i]) > 1e-4)) {
      return `frame ${f + 1} has orientation ${orientation.join('\\')}, frame 1 ${first.orientation.join('\\')} (per-frame Plane Orientation differs): the frames cannot form one volume`;
    }
    const spacing = spacingOf(frames[f]);
    if (spacing && first.spacing && spacing.some((v, i) => Math.abs(v - first.spacing![i]) > 1e-3)) {
      return `frame ${f + 1} has pixel spacing ${spacing.join('\\')} mm, frame 1 ${first.spacing.join('\\')} (per-frame Pixel Measures differ): the frames cannot form one volume`;
    }
  }
  return null;
}

/** The modality LUT of one frame: its own Pixel Value Transformation where frames differ, else the instance's. */
export function rescaleOf(h: InstanceHeader, frame: number): [number, number] {
  return h.frameRescale?.[frame] ?? [h.rescaleSlope, h.rescaleIntercept];
}
