import { z } from 'zod';
import { CodeSchema, ColorSchema, defaultSegmentCoding, type SegmentCoding } from '../dicom/segmentCodes.js';

const labelValue = (key: string) => /^\d+$/.test(key) && Number(key) <= 255;

/**
 * One class of labels.json: its name, other names its contours may carry (RTSTRUCT ROI names are
 * matched case- and punctuation-insensitively against both), and how a SEG codes and colours it.
 */
export const ClassSpecSchema = z
  .object({
    name: z.string().min(1).max(64),
    synonyms: z.array(z.string().min(1)).default([]).describe('other ROI names that mean this class, e.g. ["GTV", "tumour"]'),
    category: CodeSchema.optional().describe('Segmented Property Category (CID 7150), e.g. {"code": "49755003", "meaning": "Morphologically Abnormal Structure"}'),
    type: CodeSchema.optional().describe('Segmented Property Type (CID 7151), e.g. {"code": "52988006", "meaning": "Lesion"}'),
    region: CodeSchema.optional().describe('Anatomic region the structure lies in, e.g. {"code": "10200004", "meaning": "Liver"}'),
    color: ColorSchema.optional().describe('display colour, "#rrggbb" or [r, g, b]'),
  })
  .strict()
  .refine((c) => (c.category === undefined) === (c.type === undefined), { message: 'give both category and type, or neither' });
export type ClassSpec = z.infer<typeof ClassSpecSchema>;

/**
 * labels.json: label value -> class name, e.g. {"0": "background", "1": "liver", "2": "lesion"}, or
 * -> a ClassSpec object where codes, colour or synonyms are wanted.
 */
export const LabelsJsonSchema = z
  .record(
    z.string(),
    z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), ClassSpecSchema),
  )
  .superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      if (!labelValue(key)) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}": label values must be integers 0..255` });
    }
  });

/** Label value -> class name. */
export type ClassMap = Record<string, string>;
/** Label value -> the class's full description (name, synonyms, codes, colour). */
export type ClassSpecs = Record<string, ClassSpec>;

export function classMapOf(specs: ClassSpecs): ClassMap {
  return Object.fromEntries(Object.entries(specs).map(([v, s]) => [v, s.name]));
}

/** The stored form (every entry a spec), as the catalogue keeps it. */
export const ClassSpecsSchema = z.record(z.string(), ClassSpecSchema);

/**
 * The SEG coding of each foreground class (index 1..n-1 of classNames): what labels.json gave for the
 * class of that name, completed by the defaults for its name (codes) and index (colour).
 */
export function segmentCodingsFor(classNames: string[], specs: ClassSpecs | null): SegmentCoding[] {
  return classNames.slice(1).map((name, i) => {
    const spec = Object.values(specs ?? {}).find((s) => s.name === name);
    const fallback = defaultSegmentCoding(name, i + 1);
    return {
      category: spec?.category ?? fallback.category,
      type: spec?.type ?? fallback.type,
      ...(spec?.region ? { region: spec.region } : {}),
      color: spec?.color ?? fallback.color,
    };
  });
}
