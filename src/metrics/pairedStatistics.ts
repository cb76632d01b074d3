import { bootstrapCases } from './bootstrap.js';

/**
 * Complementary error function, |error| < 1.2e-7 (Numerical Recipes' Chebyshev fit, Press et al. 2007,
 * 6.2.2): enough for p-values reported to 3 decimals.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Ranks 1..n of values (ties get their mean rank), and the tie correction Σ (t³ - t) over tie groups. */
function ranks(values: number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return { ranks: out, tieTerm };
}

export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences. */
  statistic: number;
  /** Two-sided p-value. */
  p: number;
  /** Non-zero differences used. */
  n: number;
  method: 'exact' | 'normal';
}

/**
 * Wilcoxon signed-rank test of paired differences, two-sided (Wilcoxon 1945): zero differences are
 * dropped (Wilcoxon's method), |d| ranked with mean ranks for ties, T+ = Σ ranks of d > 0. Exact null
 * distribution (all 2^n sign patterns, counted by dynamic programming) when n <= 50 and no |d| ties;
 * otherwise the normal approximation, mean n(n+1)/4 and variance n(n+1)(2n+1)/24 - Σ(t³-t)/48, without
 * continuity correction. As scipy.stats.wilcoxon(zero_method='wilcox', correction=False) with mode
 * 'exact' or 'approx' respectively (test/metrics/fixtures/make_stats_fixtures.py). Null when every
 * difference is zero.
 */
export function wilcoxonSignedRank(differences: number[]): WilcoxonResult | null {
  const d = differences.filter((x) => x !== 0 && Number.isFinite(x));
  const n = d.length;
  if (n === 0) return null;
  const { ranks: r, tieTerm } = ranks(d.map(Math.abs));
  const statistic = d.reduce((s, x, i) => s + (x > 0 ? r[i] : 0), 0);
  if (n <= 50 && tieTerm === 0) {
    // counts[t] = number of subsets of {1..n} whose sum is t.
    const max = (n * (n + 1)) / 2;
    let counts = new Float64Array(max + 1);
    counts[0] = 1;
    for (let k = 1; k <= n; k++) {
      const next = counts.slice();
      for (let t = k; t <= max; t++) next[t] += counts[t - k];
      counts = next;
    }
    const total = 2 ** n;
    const low = Math.min(statistic, max - statistic);
    let cdf = 0;
    for (let t = 0; t <= low; t++) cdf += counts[t];
    return { statistic, p: Math.min(1, (2 * cdf) / total), n, method: 'exact' };
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const z = (statistic - mean) / Math.sqrt(variance);
  return { statistic, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), n, method: 'normal' };
}

/**
 * Holm-Bonferroni adjusted p-values (Holm 1979): sorted ascending, p_(k) x (m - k + 1), made monotone
 * and capped at 1; controls the family-wise error rate without independence assumptions.
 */
export function holmAdjust(p: number[]): number[] {
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(p.length);
  let running = 0;
  order.forEach(([v, i], k) => {
    running = Math.max(running, (p.length - k) * v);
    out[i] = Math.min(1, running);
  });
  return out;
}

/**
 * Mean of values with a percentile bootstrap 95 % CI (2,000 resamples, seeded; Efron & Tibshirani 1993):
 * for an arm's metric over its cases, or a mean paired difference. Null for no values.
 */
export function bootstrapMean(values: number[], o: { resamples?: number; seed?: number; level?: number } = {}): { mean: number; ci: [number, number]; n: number } | null {
  const n = values.length;
  if (!n) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ci = bootstrapCases(
    n,
    (draw) => {
      let s = 0;
      for (const i of draw) s += values[i];
      return [s / n];
    },
    o,
  );
  return ci ? { mean, ci: ci[0], n } : null;
}
