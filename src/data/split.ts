import { z } from 'zod';
import { Random } from '../util/random.js';

/** Patient IDs of each split; stored with the run. No patient is in two splits. */
export const SplitSchema = z.object({
  train: z.array(z.string()).min(1),
  validation: z.array(z.string()).min(1),
  test: z.array(z.string()),
  /** How it was drawn, for the record. */
  method: z.string(),
});
export type Split = z.infer<typeof SplitSchema>;

export class SplitError extends Error {
  override name = 'SplitError';
}

export interface SplitOptions {
  seed: number;
  test: number;
  validation: number;
  fold?: { index: number; folds: number };
}

/**
 * Patient-level split (series of one patient never straddle splits, which would leak anatomy between
 * training and evaluation). The test patients are drawn first with the seed, so every fold of a k-fold
 * cross-validation shares one test set; the rest is split by `validation` or into `folds` folds of
 * near-equal size (fold i validates, the others train).
 */
export function splitPatients(patientIds: string[], o: SplitOptions): Split {
  const patients = [...new Set(patientIds)].sort();
  const rng = new Random(o.seed);
  const shuffled = rng.shuffle([...patients]);
  const nTest = o.test > 0 ? Math.max(1, Math.round(o.test * patients.length)) : 0;
  const test = shuffled.slice(0, nTest);
  const rest = shuffled.slice(nTest);
  let validation: string[];
  let method: string;
  if (o.fold) {
    const { index, folds } = o.fold;
    if (rest.length < folds) throw new SplitError(`${folds}-fold cross-validation needs at least ${folds} non-test patients, the dataset has ${rest.length} (of ${patients.length}, ${nTest} held out for test)`);
    validation = rest.filter((_, i) => i % folds === index);
    method = `seed ${o.seed}: ${nTest} test patient(s), fold ${index}/${folds} of the rest validates`;
  } else {
    const nVal = Math.max(1, Math.round(o.validation * rest.length));
    validation = rest.slice(0, nVal);
    method = `seed ${o.seed}: ${nTest} test, ${nVal} validation patient(s)`;
  }
  const train = rest.filter((p) => !validation.includes(p));
  if (train.length === 0) throw new SplitError(`no training patients left: the dataset has ${patients.length} patient(s), ${nTest} test and ${validation.length} validation`);
  return { train: train.sort(), validation: validation.sort(), test: test.sort(), method };
}
