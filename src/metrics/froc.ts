import { z } from 'zod';
import { bootstrapCases } from './bootstrap.js';

/**
 * The false-positive rates per case at which a FROC is read, and whose mean sensitivity is the
 * competition performance metric (CPM): 1/8 to 8, as in ANODE09 (van Ginneken et al. 2010, Med Image
 * Anal 14:707) and LUNA16 (Setio et al. 2017, Med Image Anal 42:1).
 */
export const FROC_RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8] as const;

/** One case's detection counts at each threshold of a common descending list (caseDetectionCurve makes them). */
export interface CaseDetectionCurve {
  /** Ground-truth lesions of the class (26-connected components). */
  lesions: number;
  /** Per threshold: lesions that a component of p >= t localises (IoU >= 0.1, src/model/localisedSweep.ts). */
  found: ArrayLike<number>;
  /** Per threshold: 26-connected components of p >= t that localise no lesion. */
  falsePositives: ArrayLike<number>;
  /** How many cases these counts sum over (default 1: one case; poolFrocs passes a whole run). */
  cases?: number;
  /** The case's name (its series instance UID): with one on every case, froc() keeps each case's counts, so studies can pair cases. */
  id?: string;
}

/** One case's counts as stored with a FROC (Froc.perCase). */
const CaseCountsSchema = z.object({ id: z.string(), lesions: z.number().int(), found: z.array(z.number().int()), falsePositives: z.array(z.number().int()) });

const Interval = z.tuple([z.number(), z.number()]);

export const FrocSchema = z.object({
  cases: z.number().int(),
  lesions: z.number().int(),
  /** Per threshold t (descending, so false positives rise): pooled share of lesions found and false positives per case. */
  curve: z.array(z.object({ t: z.number(), sensitivity: z.number(), falsePositivesPerCase: z.number() })),
  /** Sensitivity at each of FROC_RATES, with its 95 % bootstrap CI over cases. */
  rates: z.array(z.object({ falsePositivesPerCase: z.number(), sensitivity: z.number(), ci: Interval })),
  /** Competition performance metric: the mean of the rates' sensitivities, with its 95 % bootstrap CI over cases. */
  cpm: z.object({ estimate: z.number(), ci: Interval }),
  /** Each case's counts on the curve's thresholds, when the cases were named: what a paired comparison of two runs' FROCs resamples (frocComparison.ts). Absent in runs from before 2026-12-07. */
  perCase: z.array(CaseCountsSchema).optional(),
});
export type Froc = z.infer<typeof FrocSchema>;

/** The pooled curve of the entries at `draw` (indices, repeats allowed): sensitivity and false positives per case per threshold. */
function pooledCurve(cases: readonly CaseDetectionCurve[], draw: ArrayLike<number>, thresholds: number): { sensitivity: Float64Array; falsePositivesPerCase: Float64Array } | null {
  const found = new Float64Array(thresholds);
  const falsePositives = new Float64Array(thresholds);
  let lesions = 0;
  let caseCount = 0;
  for (let d = 0; d < draw.length; d++) {
    const c = cases[draw[d]];
    lesions += c.lesions;
    caseCount += c.cases ?? 1;
    for (let k = 0; k < thresholds; k++) {
      found[k] += c.found[k];
      falsePositives[k] += c.falsePositives[k];
    }
  }
  if (!lesions) return null;
  return { sensitivity: found.map((n) => n / lesions), falsePositivesPerCase: falsePositives.map((n) => n / caseCount) };
}

/**
 * The CPM of the entries at `draw` (indices, repeats allowed) on a grid of `thresholds`: their pooled
 * curve read at `rates`, the mean of those sensitivities; null when the drawn entries hold no lesion.
 */
export function cpmOf(cases: readonly CaseDetectionCurve[], draw: ArrayLike<number>, thresholds: number, rates: readonly number[] = FROC_RATES): number | null {
  const curve = pooledCurve(cases, draw, thresholds);
  if (!curve) return null;
  const s = atRates(curve, rates);
  return s.reduce((a, b) => a + b, 0) / s.length;
}

/** At each rate: the highest sensitivity of the thresholds with at most that many false positives per case; 0 when none has (the curve starts at "nothing detected"). */
function atRates(curve: { sensitivity: Float64Array; falsePositivesPerCase: Float64Array }, rates: readonly number[]): number[] {
  return rates.map((rate) => {
    let best = 0;
    curve.falsePositivesPerCase.forEach((fp, k) => {
      if (fp <= rate) best = Math.max(best, curve.sensitivity[k]);
    });
    return best;
  });
}

/**
 * Free-response operating characteristic of one class over cases: the detection sensitivity against the
 * mean number of false-positive components per case as the probability threshold falls, read at
 * FROC_RATES, and their mean, the CPM. A candidate is a 26-connected component of p >= t; it finds the
 * lesions it localises (IoU >= 0.1, src/model/localisedSweep.ts: not the any-overlap rule of the
 * lesion-wise table, which an organ-wide component at a low threshold passes for every lesion) and is a
 * false positive when it localises none. Sensitivity at rate r = max over thresholds with FP/case <= r of Σ found / Σ lesions
 * (0 when no threshold is within r). Because thresholds are a grid (`thresholds`, descending, the same
 * for every case, e.g. 0.99999 down to 0.001), a rate below the highest threshold's false positives reads
 * 0 rather than the sensitivity of a threshold above it: a floor, not an estimate.
 * CIs: percentile bootstrap over cases (bootstrapCases; `resamples` default 2000, seeded by `seed`),
 * draws without a lesion left out. When every case has an id, each case's counts are kept (perCase).
 * Null when the cases hold no lesion.
 */
export function froc(thresholds: readonly number[], cases: readonly CaseDetectionCurve[], o: { rates?: readonly number[]; resamples?: number; seed?: number } = {}): Froc | null {
  const rates = o.rates ?? FROC_RATES;
  const all = Int32Array.from(cases.keys());
  const curve = pooledCurve(cases, all, thresholds.length);
  if (!curve) return null;
  const estimates = atRates(curve, rates);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const ci = bootstrapCases(
    cases.length,
    (draw) => {
      const c = pooledCurve(cases, draw, thresholds.length);
      if (!c) return null;
      const s = atRates(c, rates);
      return [...s, mean(s)];
    },
    { resamples: o.resamples, seed: o.seed },
  );
  const cpm = mean(estimates);
  // Every draw lesion-free cannot happen when the cases hold a lesion but for vanishing odds; the point then stands alone.
  const interval = (k: number, estimate: number): [number, number] => ci?.[k] ?? [estimate, estimate];
  return {
    cases: cases.length,
    lesions: cases.reduce((s, c) => s + c.lesions, 0),
    curve: thresholds.map((t, k) => ({ t, sensitivity: curve.sensitivity[k], falsePositivesPerCase: curve.falsePositivesPerCase[k] })),
    rates: rates.map((r, k) => ({ falsePositivesPerCase: r, sensitivity: estimates[k], ci: interval(k, estimates[k]) })),
    cpm: { estimate: cpm, ci: interval(rates.length, cpm) },
    ...(cases.length && cases.every((c) => c.id !== undefined) ? { perCase: cases.map((c) => ({ id: c.id as string, lesions: c.lesions, found: Array.from(c.found), falsePositives: Array.from(c.falsePositives) })) } : {}),
  };
}

/** FROCs of disjoint case sets pooled: the curve and the rates' sensitivities, without intervals. */
export interface PooledFroc {
  runs: number;
  cases: number;
  lesions: number;
  curve: { t: number; sensitivity: number; falsePositivesPerCase: number }[];
  rates: { falsePositivesPerCase: number; sensitivity: number }[];
  cpm: number;
  /** The CPM's 95 % bootstrap CI over all the cases, when every FROC kept its cases' counts (perCase). */
  cpmCi?: [number, number];
}

/**
 * Several FROCs on one threshold grid pooled (a study arm's seeds): per threshold Σ found / Σ lesions
 * and Σ false positives / Σ cases, the counts recovered from each FROC's shares and its lesions and
 * cases; then read at its rates as froc() reads them. The CPM gets a bootstrap CI over all the cases
 * (froc() of their counts, seeded) only when every FROC kept its cases' counts (perCase): a pooled curve
 * alone cannot be resampled. Null without a lesion; a RangeError when the grids or the rates differ.
 */
export function poolFrocs(frocs: readonly Froc[]): PooledFroc | null {
  const withLesions = frocs.filter((f) => f.lesions > 0);
  if (!withLesions.length) return null;
  const [first] = withLesions;
  const grid = first.curve.map((q) => q.t).join();
  const rates = first.rates.map((r) => r.falsePositivesPerCase);
  for (const f of withLesions) {
    if (f.curve.map((q) => q.t).join() !== grid || f.rates.map((r) => r.falsePositivesPerCase).join() !== rates.join())
      throw new RangeError(`poolFrocs: FROCs on different threshold grids or rates (${f.curve.length} and ${first.curve.length} thresholds)`);
  }
  // Each FROC as one entry of its counts over its cases: found and false positives back from the shares (rounded: they are counts).
  const entries: CaseDetectionCurve[] = withLesions.map((f) => ({
    lesions: f.lesions,
    cases: f.cases,
    found: f.curve.map((q) => Math.round(q.sensitivity * f.lesions)),
    falsePositives: f.curve.map((q) => Math.round(q.falsePositivesPerCase * f.cases)),
  }));
  // Not null: every entry holds a lesion.
  const pooled = pooledCurve(entries, Int32Array.from(entries.keys()), first.curve.length) as NonNullable<ReturnType<typeof pooledCurve>>;
  const sensitivities = atRates(pooled, rates);
  const perCase = withLesions.every((f) => f.perCase) ? withLesions.flatMap((f) => f.perCase ?? []) : null;
  const all =
    perCase &&
    froc(
      first.curve.map((q) => q.t),
      perCase,
      { rates, seed: 1 },
    );
  return {
    runs: withLesions.length,
    cases: withLesions.reduce((s, f) => s + f.cases, 0),
    lesions: withLesions.reduce((s, f) => s + f.lesions, 0),
    curve: first.curve.map((q, k) => ({ t: q.t, sensitivity: pooled.sensitivity[k], falsePositivesPerCase: pooled.falsePositivesPerCase[k] })),
    rates: rates.map((r, k) => ({ falsePositivesPerCase: r, sensitivity: sensitivities[k] })),
    cpm: sensitivities.reduce((a, b) => a + b, 0) / sensitivities.length,
    ...(all ? { cpmCi: all.cpm.ci } : {}),
  };
}
