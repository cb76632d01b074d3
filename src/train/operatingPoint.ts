import { z } from 'zod';

/**
 * Candidate thresholds: 0.001 to 0.009 in steps of 0.001, then 0.01 to 0.99 in steps of 0.01 (the
 * arg-max's 0.5 among them). The fine steps matter: a model trained on a class of a few hundred voxels
 * gives many of them probabilities below 0.01, and a 0.9 target was measured to need t < 0.01.
 */
const THRESHOLDS = [...Array.from({ length: 9 }, (_, k) => (k + 1) / 1000), ...Array.from({ length: 99 }, (_, k) => (k + 1) / 100)];

/** How many candidate thresholds p reaches (p >= t), in O(1): the voxel's bin. */
const binOf = (p: number): number => (p < 0.01 ? Math.max(0, Math.floor(p * 1000 + 1e-9)) : 9 + Math.min(99, Math.floor(p * 100 + 1e-9)));

export const ClassOperatingPointSchema = z.object({
  /** The sensitivity target (fusion.options.sensitivityTargets). */
  target: z.number(),
  /** The precision floor the threshold had to keep on validation. */
  minPrecision: z.number().default(0),
  /** Voxels of the class in the validation ground truth. */
  validationVoxels: z.number().int().default(0),
  /** Probability threshold of the class; null: arg-max (no voxel of the class, or no threshold keeps the precision floor). */
  threshold: z.number().nullable(),
  /** Pooled voxel sensitivity and precision on the validation split at that threshold. */
  validationSensitivity: z.number().nullable(),
  validationPrecision: z.number().nullable(),
  /** Whether the target is met on validation. */
  met: z.boolean(),
  /** On the test split with the threshold: pooled voxel sensitivity, its 95 % bootstrap CI over cases, and the number of cases. */
  test: z
    .object({ sensitivity: z.number(), ci: z.tuple([z.number(), z.number()]), n: z.number().int() })
    .nullable()
    .optional(),
});
export type ClassOperatingPoint = z.infer<typeof ClassOperatingPointSchema>;

/** Per class (label value): the calibrated operating point, stored with the run and the export. */
export const OperatingPointSchema = z.record(z.string().regex(/^\d+$/), ClassOperatingPointSchema);
export type OperatingPoint = z.infer<typeof OperatingPointSchema>;

/** Run-config section: how operating points are calibrated. */
export const OperatingPointConfigSchema = z.strictObject({
  /**
   * Lowest validation precision a threshold may have (default 0.1, in [0, 1]): a target reached only
   * by predicting the class nearly everywhere is reported as not met rather than applied.
   */
  minPrecision: z.number().min(0).max(1).default(0.1),
});

/**
 * Calibrates a probability threshold for class `cls` on validation cases (ground truth labels and the
 * class's probability per voxel): of the thresholds t in 0.001..0.009 and 0.01..0.99 whose pooled voxel sensitivity
 * Σ TP / Σ GT of the rule p >= t reaches `target` at a precision of at least `minPrecision`, the one of
 * highest precision (the larger t on ties). When none does, met = false and the report says plainly
 * that the target cannot be met: the threshold of highest sensitivity among those keeping the
 * precision floor is used, or none (arg-max) if no threshold keeps it. Counting is one pass over the
 * voxels into one bin per candidate.
 */
export function calibrateThreshold(cases: { truth: Uint8Array; probability: Float32Array }[], cls: number, target: number, minPrecision = 0): ClassOperatingPoint {
  const m = THRESHOLDS.length;
  const positives = new Float64Array(m + 1);
  const negatives = new Float64Array(m + 1);
  let gt = 0;
  for (const c of cases) {
    for (let v = 0; v < c.truth.length; v++) {
      const bin = binOf(c.probability[v]);
      if (c.truth[v] === cls) {
        positives[bin]++;
        gt++;
      } else negatives[bin]++;
    }
  }
  // Voxels with p >= THRESHOLDS[j - 1] are those of bins >= j: suffix sums.
  let tp = 0;
  let fp = 0;
  const candidates: { t: number; sensitivity: number | null; precision: number | null }[] = [];
  for (let bin = m; bin >= 1; bin--) {
    tp += positives[bin];
    fp += negatives[bin];
    candidates.push({ t: THRESHOLDS[bin - 1], sensitivity: gt ? tp / gt : null, precision: tp + fp ? tp / (tp + fp) : null });
  }
  const precise = candidates.filter((c) => (c.precision ?? 0) >= minPrecision);
  const meeting = precise.filter((c) => c.sensitivity !== null && c.sensitivity >= target);
  const pick = meeting.length
    ? meeting.reduce((best, c) => ((c.precision ?? 0) > (best.precision ?? 0) || ((c.precision ?? 0) === (best.precision ?? 0) && c.t > best.t) ? c : best))
    : precise.length
      ? precise.reduce((best, c) => ((c.sensitivity ?? -1) > (best.sensitivity ?? -1) ? c : best))
      : null;
  return {
    target,
    minPrecision,
    validationVoxels: gt,
    threshold: gt && pick ? pick.t : null,
    validationSensitivity: pick?.sensitivity ?? null,
    validationPrecision: pick?.precision ?? null,
    met: meeting.length > 0,
  };
}

/** Thresholds of an operating point, as segmentVolume takes them. */
export const thresholdsOf = (op: OperatingPoint | null | undefined): Record<number, number> => Object.fromEntries(Object.entries(op ?? {}).flatMap(([c, p]) => (p.threshold === null ? [] : [[Number(c), p.threshold]])));

/**
 * One plain sentence per class of an operating point, e.g. "lesion: target sensitivity 0.9, threshold
 * 0.23 (validation sensitivity 0.91, precision 0.64); on test 0.88 [0.79, 0.95], 4 cases" or, when the
 * target cannot be met, says so with the best sensitivity reached.
 */
export function describeOperatingPoint(op: OperatingPoint, classNames: string[]): string[] {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
  return Object.entries(op).map(([c, p]) => {
    const name = classNames[Number(c)] ?? `class ${c}`;
    const test = p.test ? `; on test ${f(p.test.sensitivity)} [95 % CI ${f(p.test.ci[0])}, ${f(p.test.ci[1])}], ${p.test.n} case(s)` : '; no test case has this class';
    const floor = p.minPrecision > 0 ? ` at a precision of at least ${p.minPrecision}` : '';
    if (p.validationVoxels === 0) return `${name}: target sensitivity ${p.target}: no validation case has this class, arg-max used`;
    if (p.threshold === null) return `${name}: target sensitivity ${p.target} CANNOT be met on validation${floor}: no threshold keeps that precision, arg-max used${test}`;
    if (!p.met) return `${name}: target sensitivity ${p.target} CANNOT be met on validation${floor}: the best is ${f(p.validationSensitivity)} (threshold ${p.threshold}, precision ${f(p.validationPrecision)}), which is used${test}`;
    return `${name}: target sensitivity ${p.target} met with threshold ${p.threshold} (validation sensitivity ${f(p.validationSensitivity)}, precision ${f(p.validationPrecision)})${test}`;
  });
}
