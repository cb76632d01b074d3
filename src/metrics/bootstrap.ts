import { Random } from '../util/random.js';

/** numpy's linear percentile of sorted values, p in [0, 1]. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile bootstrap over cases of several statistics at once: `resamples` draws of n case indices
 * with replacement (each draw n calls of the seeded generator, in order), `statistic` evaluated on each
 * draw, and per statistic the (1 - level) / 2 and (1 + level) / 2 quantiles of its values (numpy's
 * linear percentile). A draw for which `statistic` returns null (e.g. a pooled ratio with no
 * denominator) is left out. Seeded, so a report is reproducible. Efron & Tibshirani 1993, ch. 13.
 * Returns one interval per statistic, or null when n is 0 or every draw was left out.
 */
export function bootstrapCases(n: number, statistic: (draw: Int32Array) => number[] | null, o: { resamples?: number; level?: number; seed?: number } = {}): [number, number][] | null {
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  if (!n) return null;
  const rng = new Random(o.seed ?? 1);
  const draw = new Int32Array(n);
  const values: number[][] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = rng.int(0, n - 1);
    const s = statistic(draw);
    if (!s) continue;
    s.forEach((v, k) => {
      values[k] ??= [];
      values[k].push(v);
    });
  }
  if (!values.length) return null;
  return values.map((v) => {
    v.sort((a, b) => a - b);
    return [percentile(v, (1 - level) / 2), percentile(v, (1 + level) / 2)];
  });
}

/**
 * Percentile bootstrap confidence interval of a ratio pooled over cases, Σ num / Σ den (e.g. pooled
 * voxel sensitivity Σ TP / Σ (TP + FN)): bootstrapCases of the ratio, resamples whose denominator is 0
 * left out. Returns null when no case has a denominator.
 */
export function bootstrapPooledRatio(cases: { num: number; den: number }[], o: { resamples?: number; level?: number; seed?: number } = {}): { estimate: number; ci: [number, number]; n: number } | null {
  const n = cases.length;
  const total = cases.reduce((s, c) => s + c.den, 0);
  if (!n || total === 0) return null;
  const estimate = cases.reduce((s, c) => s + c.num, 0) / total;
  const ci = bootstrapCases(
    n,
    (draw) => {
      let num = 0;
      let den = 0;
      for (const i of draw) {
        num += cases[i].num;
        den += cases[i].den;
      }
      return den > 0 ? [num / den] : null;
    },
    o,
  );
  return ci ? { estimate, ci: ci[0], n } : null;
}
