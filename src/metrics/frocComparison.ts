import { Random } from '../util/random.js';
import { bootstrapCases } from './bootstrap.js';
import { type CaseDetectionCurve, cpmOf, FROC_RATES } from './froc.js';

/** Two arms' CPMs on the same cases, their difference with a bootstrap CI, and a paired permutation p. */
export interface CpmComparison {
  /** Pairs (cases) compared. */
  n: number;
  reference: number;
  other: number;
  /** other − reference, both pooled over the n cases. */
  difference: number;
  /** 95 % percentile bootstrap CI of the difference, resampling pairs; null when no draw held a lesion. */
  ci: [number, number] | null;
  /** Two-sided p of the paired permutation test. */
  p: number;
  /** "exact": all 2^n swap patterns enumerated (n <= 10 at the default resamples); "monte-carlo": `resamples` random swaps, p = (k + 1) / (resamples + 1). */
  method: 'exact' | 'monte-carlo';
}

/** Relative tolerance with which a permuted statistic counts as equal to the observed one (scipy's permutation_test: 1e-14 |t|). */
const EQUAL = 1e-14;

/**
 * Paired comparison of two sets of FROC counts on the same cases (`reference[i]` and `other[i]` are one
 * case, on one threshold grid of `thresholds` entries): the difference of their CPMs (froc.ts: each
 * set's curve pooled over the cases, read at FROC_RATES, averaged), a percentile bootstrap CI of it
 * over the pairs (bootstrapCases, seeded), and a two-sided paired permutation test: under "no
 * difference" the two curves of a case are exchangeable, so each case's pair is swapped or not, and p
 * is the share of swap patterns whose |difference| is at least the observed one
 * (p = 2 min(P(T <= t), P(T >= t)) capped at 1, as scipy.stats.permutation_test with
 * permutation_type "samples"). Exact over all 2^n patterns when 2^n <= `resamples` (default 2000),
 * else `resamples` random patterns with p = (k + 1) / (resamples + 1). The CPM is a pooled statistic,
 * so no per-case difference exists for a Wilcoxon test (Bandos, Rockette & Gur 2005, Stat Med
 * 24:2873, compare ROC areas this way). Null when the cases hold no lesion; a RangeError when the sets
 * differ in length or a pair in its lesion count (not the same cases).
 */
export function pairedCpmDifference(reference: readonly CaseDetectionCurve[], other: readonly CaseDetectionCurve[], o: { thresholds: number; rates?: readonly number[]; resamples?: number; seed?: number }): CpmComparison | null {
  const n = reference.length;
  if (other.length !== n) throw new RangeError(`pairedCpmDifference: ${n} reference cases against ${other.length}`);
  reference.forEach((r, i) => {
    if (r.lesions !== other[i].lesions) throw new RangeError(`pairedCpmDifference: case ${r.id ?? i} has ${r.lesions} lesions in one set and ${other[i].lesions} in the other`);
  });
  const rates = o.rates ?? FROC_RATES;
  const resamples = o.resamples ?? 2000;
  const all = Int32Array.from(reference.keys());
  const ref = cpmOf(reference, all, o.thresholds, rates);
  const oth = cpmOf(other, all, o.thresholds, rates);
  if (ref === null || oth === null) return null;
  const observed = oth - ref;
  const ci = bootstrapCases(
    n,
    (draw) => {
      const a = cpmOf(reference, draw, o.thresholds, rates);
      const b = cpmOf(other, draw, o.thresholds, rates);
      return a === null || b === null ? null : [b - a];
    },
    { resamples, seed: o.seed },
  );
  // A swap pattern as two case lists: pair i exchanged when swap[i] is set.
  const swap = new Uint8Array(n);
  const swapped = () => {
    const first = reference.map((r, i) => (swap[i] ? other[i] : r));
    const second = other.map((r, i) => (swap[i] ? reference[i] : r));
    return (cpmOf(second, all, o.thresholds, rates) as number) - (cpmOf(first, all, o.thresholds, rates) as number);
  };
  const exact = n <= 30 && 2 ** n <= resamples;
  const patterns = exact ? 2 ** n : resamples;
  const rng = new Random(o.seed ?? 1);
  const gamma = EQUAL * Math.abs(observed);
  let below = 0;
  let above = 0;
  for (let k = 0; k < patterns; k++) {
    for (let i = 0; i < n; i++) swap[i] = exact ? (k >> i) & 1 : rng.next() < 0.5 ? 1 : 0;
    const t = swapped();
    if (t <= observed + gamma) below++;
    if (t >= observed - gamma) above++;
  }
  const share = (count: number) => (exact ? count / patterns : (count + 1) / (patterns + 1));
  return { n, reference: ref, other: oth, difference: observed, ci: ci?.[0] ?? null, p: Math.min(1, 2 * Math.min(share(below), share(above))), method: exact ? 'exact' : 'monte-carlo' };
}
