import { z } from 'zod';

/** A coded concept (PS3.3 Code Sequence Macro): value, coding scheme designator, meaning. */
export const CodeSchema = z
  .object({
    code: z.string().min(1).max(16).describe('Code Value (0008,0100), e.g. "10200004"'),
    scheme: z.string().min(1).max(16).default('SCT').describe('Coding Scheme Designator (0008,0102); SCT is SNOMED CT'),
    meaning: z.string().min(1).max(64).describe('Code Meaning (0008,0104), e.g. "Liver"'),
  })
  .strict();
export type Code = z.infer<typeof CodeSchema>;

const channel = z.number().int().min(0).max(255);
/** "#rrggbb" or [r, g, b] (0..255, sRGB). */
export const ColorSchema = z
  .custom<string | [number, number, number]>((v) => (typeof v === 'string' ? /^#[0-9a-fA-F]{6}$/.test(v) : z.tuple([channel, channel, channel]).safeParse(v).success), {
    message: 'a colour is "#rrggbb" or [r, g, b] with integers 0..255',
  })
  .transform((v): [number, number, number] => (typeof v === 'string' ? ([1, 3, 5].map((i) => Number.parseInt(v.slice(i, i + 2), 16)) as [number, number, number]) : v));

/** What a SEG says about one segment: property category and type (CID 7150/7151), region and colour. */
export const SegmentCodingSchema = z
  .object({
    category: CodeSchema,
    type: CodeSchema,
    /** Anatomic Region Sequence (0008,2218), when the class names a finding in an organ. */
    region: CodeSchema.optional(),
    /** Display colour, sRGB 0..255. */
    color: z.tuple([channel, channel, channel]),
  })
  .strict();
export type SegmentCoding = z.infer<typeof SegmentCodingSchema>;

const sct = (code: string, meaning: string): Code => ({ code, scheme: 'SCT', meaning });
const ANATOMICAL_STRUCTURE = sct('123037004', 'Anatomical Structure');
const ABNORMAL = sct('49755003', 'Morphologically Abnormal Structure');
const TISSUE = sct('85756007', 'Tissue');

/**
 * Sensible SNOMED CT codes for common class names (DICOM PS3.16 CID 7150 categories, CID 7151/7159
 * types), matched case-insensitively on the whole name or its first word. Names not listed get
 * category and type "Tissue" (SCT 85756007), never the retired SRT code T-D0050.
 */
const KNOWN: Record<string, { category: Code; type: Code }> = {
  liver: { category: ANATOMICAL_STRUCTURE, type: sct('10200004', 'Liver') },
  kidney: { category: ANATOMICAL_STRUCTURE, type: sct('64033007', 'Kidney') },
  spleen: { category: ANATOMICAL_STRUCTURE, type: sct('78961009', 'Spleen') },
  pancreas: { category: ANATOMICAL_STRUCTURE, type: sct('15776009', 'Pancreas') },
  lung: { category: ANATOMICAL_STRUCTURE, type: sct('39607008', 'Lung') },
  heart: { category: ANATOMICAL_STRUCTURE, type: sct('80891009', 'Heart') },
  brain: { category: ANATOMICAL_STRUCTURE, type: sct('12738006', 'Brain') },
  prostate: { category: ANATOMICAL_STRUCTURE, type: sct('41216001', 'Prostate') },
  bladder: { category: ANATOMICAL_STRUCTURE, type: sct('89837001', 'Urinary bladder') },
  aorta: { category: ANATOMICAL_STRUCTURE, type: sct('15825003', 'Aorta') },
  bone: { category: TISSUE, type: sct('272673000', 'Bone') },
  organ: { category: ANATOMICAL_STRUCTURE, type: sct('91723000', 'Anatomical structure') },
  lesion: { category: ABNORMAL, type: sct('52988006', 'Lesion') },
  tumor: { category: ABNORMAL, type: sct('108369006', 'Neoplasm') },
  tumour: { category: ABNORMAL, type: sct('108369006', 'Neoplasm') },
  neoplasm: { category: ABNORMAL, type: sct('108369006', 'Neoplasm') },
  mass: { category: ABNORMAL, type: sct('4147007', 'Mass') },
  nodule: { category: ABNORMAL, type: sct('27925004', 'Nodule') },
  cyst: { category: ABNORMAL, type: sct('441457006', 'Cyst') },
};

/** A qualitative palette (distinct at small sizes, colour-blind tolerant), by class index. */
const PALETTE: [number, number, number][] = [
  [230, 159, 0],
  [213, 94, 0],
  [0, 114, 178],
  [0, 158, 115],
  [204, 121, 167],
  [86, 180, 233],
  [240, 228, 66],
];

/** Default coding of class `index` named `name` (see KNOWN); the colour is the palette's. */
export function defaultSegmentCoding(name: string, index: number): SegmentCoding {
  const key = name.trim().toLowerCase();
  const known = KNOWN[key] ?? KNOWN[key.split(/[\s_-]+/)[0]];
  return { ...(known ?? { category: TISSUE, type: TISSUE }), color: PALETTE[(index - 1 + PALETTE.length) % PALETTE.length] };
}

/**
 * sRGB (0..255) to DICOM's scaled CIELab (PS3.3 C.10.7.1.1, the ICC profile connection space): sRGB
 * decoded to linear light (IEC 61966-2-1), to XYZ under its native D65 white, adapted to the PCS's D50
 * white with the linear Bradford transform (matrix as given by B. Lindbloom), then CIE 1976 L*a*b*
 * relative to D50; L* 0..100 and a*, b* -128..127 map linearly onto 0..65535. dcmjs's inverse (what
 * OHIF uses) turns the result back into the same colour within one level (checked in the tests).
 */
export function rgbToDicomLab(color: readonly [number, number, number]): [number, number, number] {
  const [r, g, b] = color.map((c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const x65 = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const y65 = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z65 = 0.0193339 * r + 0.119192 * g + 0.9503041 * b;
  const x = 1.0478112 * x65 + 0.0228866 * y65 - 0.050127 * z65;
  const y = 0.0295424 * x65 + 0.9904844 * y65 - 0.0170491 * z65;
  const z = -0.0092345 * x65 + 0.0150436 * y65 + 0.7521316 * z65;
  const white = [0.3457 / 0.3585, 1, (1 - 0.3457 - 0.3585) / 0.3585];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 / 116) * t + 16 / 116);
  const [fx, fy, fz] = [f(x / white[0]), f(y / white[1]), f(z / white[2])];
  const clamp = (v: number) => Math.max(0, Math.min(65535, Math.round(v)));
  return [clamp(((116 * fy - 16) * 65535) / 100), clamp(((500 * (fx - fy) + 128) * 65535) / 255), clamp(((200 * (fy - fz) + 128) * 65535) / 255)];
}
