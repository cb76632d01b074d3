import { Random } from '../util/random.js';

/**
 * Percentile bootstrap confidence interval of a ratio pooled over cases, Σ num / Σ den (e.g. pooled
 * voxel sensitivity Σ TP / Σ (TP + FN)): `resamples` draws of the cases with replacement, the
 * (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled ratios (numpy's linear percentile);
 * resamples whose denominator is 0 are left out. Seeded, so a report is reproducible. Efron &
 * Tibshirani 1993, ch. 13. Returns null when no case has a denominator.
 */
export function bootstrapPooledRatio(cases: { num: number; den: number }[], o: { resamples?: number; level?: number; seed?: number } = {}): { estimate: number; ci: [number, number]; n: number } | null {
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  const n = cases.length;
  const total = cases.reduce((s, c) => s + c.den, 0);
  if (!n || total === 0) return null;
  const estimate = cases.reduce((s, c) => s + c.num, 0) / total;
  const rng = new Random(o.seed ?? 1);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const c = cases[rng.int(0, n - 1)];
      num += c.num;
      den += c.den;
    }
    if (den > 0) ratios.push(num / den);
  }
  ratios.sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = p * (ratios.length - 1);
    const lo = Math.floor(pos);
    return ratios[lo] + (ratios[Math.ceil(pos)] - ratios[lo]) * (pos - lo);
  };
  return { estimate, ci: [q((1 - level) / 2), q((1 + level) / 2)], n };
}
