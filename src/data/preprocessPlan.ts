import crypto from 'node:crypto';
import { z } from 'zod';
import { percentile } from '../metrics/segmentationMetrics.js';
import { Random } from '../util/random.js';

export const IntensityNormalizationSchema = z.discriminatedUnion('kind', [
  /** CT (nnU-Net): clip to foreground percentiles of the training set, then z-score with its foreground mean and std. */
  z.object({ kind: z.literal('ct'), clip: z.tuple([z.number(), z.number()]), mean: z.number(), std: z.number().positive() }),
  /** CT with a user window: clip to [center - width/2, center + width/2], then scale to [-1, 1]. */
  z.object({ kind: z.literal('window'), center: z.number(), width: z.number().positive() }),
  /** MR and other modalities without a physical scale: z-score per volume. */
  z.object({ kind: z.literal('zscore') }),
]);
export type IntensityNormalization = z.infer<typeof IntensityNormalizationSchema>;

/** The preprocessing plan (versioned manifest): recorded with each run and each exported model. */
export const PreprocessingPlanSchema = z.object({
  format: z.literal('segfusion-preprocessing'),
  version: z.literal(1),
  modality: z.string(),
  /** In-plane spacing [x, y] in mm every image is resampled to (slices are kept). */
  targetSpacing: z.tuple([z.number().positive(), z.number().positive()]),
  intensity: IntensityNormalizationSchema,
  /** Classes including background; label value = class index. */
  classes: z.number().int().min(2),
  classNames: z.array(z.string()),
  /** sha256 over the training series' and labels' fingerprints. */
  datasetFingerprint: z.string(),
});
export type PreprocessingPlan = z.infer<typeof PreprocessingPlanSchema>;

export interface PlanInput {
  modality: string;
  spacing: readonly [number, number, number];
  /** Modality-LUT values (HU for CT) and labels, read when needed: one case is in memory at a time. */
  load(): { image: ArrayLike<number>; label: Uint8Array };
}

const FOREGROUND_SAMPLES = 100_000;

/**
 * Plans preprocessing from the training cases only (validation and test must not influence it):
 * median in-plane spacing, and for CT the 0.5/99.5 foreground percentiles with mean and std of the
 * clipped foreground, from up to 100k seeded samples of labelled voxels (an equal share per case).
 */
export function planPreprocessing(
  cases: PlanInput[],
  o: { classNames: string[]; targetSpacing?: readonly [number, number]; window?: { center: number; width: number }; clipPercentiles: readonly [number, number]; datasetFingerprint: string; seed: number },
): PreprocessingPlan {
  if (cases.length === 0) throw new RangeError('planPreprocessing: no training cases');
  const modalities = [...new Set(cases.map((c) => c.modality))];
  const modality = modalities.length === 1 ? modalities[0] : modalities.join('+');
  const targetSpacing: [number, number] = o.targetSpacing
    ? [o.targetSpacing[0], o.targetSpacing[1]]
    : [
        percentile(
          cases.map((c) => c.spacing[0]),
          50,
        ),
        percentile(
          cases.map((c) => c.spacing[1]),
          50,
        ),
      ];
  let intensity: IntensityNormalization;
  if (modality !== 'CT') intensity = { kind: 'zscore' };
  else if (o.window) intensity = { kind: 'window', ...o.window };
  else {
    const rng = new Random(o.seed);
    const quota = FOREGROUND_SAMPLES / cases.length;
    const samples: number[] = [];
    for (const c of cases) {
      const { image, label } = c.load();
      let foreground = 0;
      for (let v = 0; v < label.length; v++) if (label[v] > 0) foreground++;
      const keep = Math.min(1, quota / Math.max(1, foreground));
      for (let v = 0; v < label.length; v++) if (label[v] > 0 && rng.next() < keep) samples.push(image[v]);
    }
    if (samples.length === 0) throw new RangeError('planPreprocessing: the training labels have no foreground voxel to take CT intensity statistics from');
    const values = Float64Array.from(samples);
    const clip: [number, number] = [percentile(values, o.clipPercentiles[0]), percentile(values, o.clipPercentiles[1])];
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i] = Math.min(clip[1], Math.max(clip[0], values[i]));
    const mean = sum / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    intensity = { kind: 'ct', clip, mean, std: Math.max(std, 1e-3) };
  }
  return { format: 'segfusion-preprocessing', version: 1, modality, targetSpacing, intensity, classes: o.classNames.length, classNames: o.classNames, datasetFingerprint: o.datasetFingerprint };
}

/** Normalises modality-LUT values as the plan says (same function in training, validation and predict). */
export function normalizeIntensity(values: ArrayLike<number>, n: IntensityNormalization): Float32Array {
  const out = new Float32Array(values.length);
  if (n.kind === 'ct') {
    const [lo, hi] = n.clip;
    for (let i = 0; i < out.length; i++) out[i] = (Math.min(hi, Math.max(lo, values[i])) - n.mean) / n.std;
  } else if (n.kind === 'window') {
    const lo = n.center - n.width / 2;
    const hi = n.center + n.width / 2;
    for (let i = 0; i < out.length; i++) out[i] = ((Math.min(hi, Math.max(lo, values[i])) - lo) / n.width) * 2 - 1;
  } else {
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += values[i];
    const mean = sum / out.length;
    let sq = 0;
    for (let i = 0; i < out.length; i++) sq += (values[i] - mean) ** 2;
    const std = Math.max(Math.sqrt(sq / out.length), 1e-6);
    for (let i = 0; i < out.length; i++) out[i] = (values[i] - mean) / std;
  }
  return out;
}

/** sha256 over sorted (series UID, image fingerprint, label fingerprint) triples. */
export function datasetFingerprint(items: { seriesInstanceUid: string; image: string; label: string | null }[]): string {
  const lines = items.map((i) => `${i.seriesInstanceUid} ${i.image} ${i.label ?? '-'}`).sort();
  return crypto.createHash('sha256').update(lines.join('\n')).digest('hex');
}
