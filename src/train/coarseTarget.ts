// Its own module, free of zod, because the dashboard's bundle shows the same caution.
import { lesionsRequired } from './conformal.js';
import type { ClassOperatingPoint } from './operatingPoint.js';

/**
 * A caution when a lesion-wise target is coarse on validation: with n lesions the share found moves in
 * steps of 1/n, and when the target needs all n found (lesionsRequired: ⌈n · target⌉, or ⌈(n + 1) ·
 * target⌉ calibrated conformally) one missed lesion already fails it, so checkpoint selection may prefer
 * an early, over-segmenting epoch that finds them all (measured on the hard demo cohort: 5 validation
 * lesions and a 0.9 target kept epoch 1 of 10, test lesion Dice 0.091; docs/loss-fusion.md, "A recipe
 * for small lesions"). Null for voxel targets, a target of 1, n = 0 (said elsewhere) and older records.
 */
export function coarseTargetNote(p: ClassOperatingPoint): string | null {
  const n = p.validationLesions;
  // A target of 1 asks for every lesion whatever n is: nothing coarse about it.
  if (p.basis !== 'lesion' || p.target >= 1 || n === undefined || n === 0) return null;
  const conformal = p.conformal ?? false;
  const required = lesionsRequired(p.target, n, conformal);
  if (required < n) return null;
  // The smallest n whose requirement leaves one miss: n - 1 >= n · t, or n - 1 >= (n + 1) · t conformally.
  const room = Math.ceil((conformal ? (1 + p.target) / (1 - p.target) : 1 / (1 - p.target)) - 1e-9);
  const what = conformal ? `a conformal lesion-wise target of ${p.target}` : `a lesion-wise target of ${p.target}`;
  if (required > n) return `the validation split holds only ${n} lesion(s), too few for ${what}, which needs ${required} found; a split.validation holding at least ${room} lesions gives the target room`;
  return `the validation split holds only ${n} lesion(s), so ${what} means finding all ${n} and one miss fails it; the chosen epoch and threshold rest on that. A split.validation holding at least ${room} lesions gives the target room`;
}
