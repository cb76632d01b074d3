// Its own module, free of zod, because the dashboard's bundle words the same requirement.

/**
 * Validation lesions a lesion-wise target needs found, out of `lesions`.
 *
 * - Share (default): ⌈target · n⌉, the target read as the share found on validation.
 * - Conformal: ⌈(n + 1) · target⌉, split conformal prediction's quantile (Vovk, Gammerman & Shafer,
 *   "Algorithmic Learning in a Random World", 2005; Angelopoulos & Bates, "A Gentle Introduction to
 *   Conformal Prediction", arXiv:2107.07511, 2021, theorem 1) with a lesion's peak probability as its
 *   score: a threshold that at most n − k of the n validation lesions' peaks fall below, k = ⌈(n + 1) ·
 *   target⌉, is at most their (n − k + 1)-th smallest peak, and a new lesion exchangeable with them has
 *   its peak below that with probability at most (n + 1 − k) / (n + 1) ≤ 1 − target. So the expected
 *   share of new lesions that reach the threshold is at least the target (and, without ties, below
 *   target + 1/(n + 1)), where the plain share only estimates it. Exchangeability is the assumption:
 *   lesions of one patient are not independent, and choosing the checkpoint on the same split favours it.
 *
 * Returns n + 1 when the conformal requirement cannot be met with n lesions (n < target / (1 − target):
 * 8 lesions or fewer for 0.9), and 0 without lesions.
 */
export function lesionsRequired(target: number, lesions: number, conformal: boolean): number {
  if (lesions === 0) return 0;
  // 1e-9: (n + 1) · 0.9 is 18.000000000000004 in floating point for n = 19.
  return Math.ceil((conformal ? lesions + 1 : lesions) * target - 1e-9);
}

/**
 * The share found on validation that a class's operating point had to reach: lesionsRequired / n for a
 * conformal lesion-wise target (above 1 when it cannot be met), else the target itself.
 */
export function requiredShare(p: { target: number; basis: string; conformal?: boolean; validationLesions?: number }): number {
  const n = p.validationLesions ?? 0;
  return p.basis === 'lesion' && p.conformal && n > 0 ? lesionsRequired(p.target, n, true) / n : p.target;
}
