import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { OperatingPointSchema } from '../train/operatingPoint.js';
import { PreprocessingPlanSchema } from '../data/preprocessPlan.js';
import { SegmentCodingSchema } from '../dicom/segmentCodes.js';

export const EXPORT_MANIFEST = 'segfusion.json';

const AggregateSchema = z.object({ mean: z.number().nullable(), std: z.number().nullable(), median: z.number().nullable(), n: z.number().int() });

/**
 * segfusion.json beside an exported model (versioned manifest): everything needed to apply the model to
 * a new series without SegFusion's database, and to know where it came from.
 */
export const ExportManifestSchema = z.object({
  format: z.literal('segfusion-model'),
  version: z.literal(1),
  runId: z.string(),
  runName: z.string().nullable(),
  exportedAt: z.string(),
  /** Class names by class index (0 = background); the label map holds the indices. */
  classes: z.array(z.string()).min(2),
  /** Input: adjacent slices as channels (odd; the centre one is segmented). */
  inputSlices: z.number().int().min(1),
  /** Test-time mirroring, as the run was validated and tested with (absent in older exports: off). */
  mirror: z.boolean().default(false),
  /** Height and width at inference must be a multiple of this (2^depth). */
  sizeMultiple: z.number().int().min(1),
  patchSize: z.number().int(),
  /** In-plane spacing [x, y] in mm images are resampled to, and intensity normalisation. */
  preprocessing: PreprocessingPlanSchema,
  model: z.record(z.string(), z.unknown()),
  trainingConfig: z.record(z.string(), z.unknown()),
  metrics: z.object({
    bestEpoch: z.number().int().nullable(),
    bestValidationDice: z.number().nullable(),
    test: z.record(z.string(), z.record(z.string(), AggregateSchema)).nullable(),
  }),
  datasetFingerprint: z.string(),
  versions: z.record(z.string(), z.string()),
  backend: z.record(z.string(), z.unknown()).nullable(),
  /** Per-class probability thresholds calibrated on validation (absent: arg-max), applied by predict. */
  operatingPoint: OperatingPointSchema.nullable().optional(),
  /** SEG codes and colour of classes 1..n-1 (absent in exports before 0.1: predict uses the defaults). */
  segmentCodings: z.array(SegmentCodingSchema).optional(),
});
export type ExportManifest = z.infer<typeof ExportManifestSchema>;

export class ExportError extends Error {
  override name = 'ExportError';
}

export function readExportManifest(dir: string): ExportManifest {
  const file = path.join(dir, EXPORT_MANIFEST);
  if (!fs.existsSync(file)) throw new ExportError(`${dir} is not an exported SegFusion model: ${EXPORT_MANIFEST} is missing (create one with: segfusion export RUN --out DIR)`);
  const parsed = ExportManifestSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new ExportError(`${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
