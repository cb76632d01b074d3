import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitPatients, SplitError } from '../../src/data/split.js';

const patients = [...Array(12).keys()].map((i) => `P${String(i).padStart(2, '0')}`);

describe('splitPatients', () => {
  it('puts every patient in exactly one split, with the requested sizes', () => {
    const s = splitPatients([...patients, ...patients.slice(0, 3)], { seed: 1, test: 0.2, validation: 0.2 });
    assert.equal(s.test.length, 2);
    assert.equal(s.validation.length, 2);
    assert.equal(s.train.length, 8);
    assert.deepEqual([...s.train, ...s.validation, ...s.test].sort(), patients);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = splitPatients(patients, { seed: 3, test: 0.25, validation: 0.2 });
    assert.deepEqual(splitPatients([...patients].reverse(), { seed: 3, test: 0.25, validation: 0.2 }), a);
    assert.notDeepEqual(splitPatients(patients, { seed: 4, test: 0.25, validation: 0.2 }).test, a.test);
  });

  it('k-fold: folds share one test set and each non-test patient validates exactly once', () => {
    const folds = [0, 1, 2, 3].map((index) => splitPatients(patients, { seed: 9, test: 0.2, validation: 0.2, fold: { index, folds: 4 } }));
    for (const f of folds) assert.deepEqual(f.test, folds[0].test);
    const validated = folds.flatMap((f) => f.validation).sort();
    assert.deepEqual(validated, patients.filter((p) => !folds[0].test.includes(p)).sort());
    for (const f of folds) assert.equal(f.train.length + f.validation.length, 10);
  });

  const errors: [string, string[], Parameters<typeof splitPatients>[1], RegExp][] = [
    ['too few patients for the folds', patients.slice(0, 4), { seed: 1, test: 0.25, validation: 0.2, fold: { index: 0, folds: 5 } }, /5-fold cross-validation needs at least 5 non-test patients, the dataset has 3/],
    ['nothing left to train on', ['A', 'B'], { seed: 1, test: 0.5, validation: 0.5 }, /no training patients left: the dataset has 2 patient\(s\), 1 test and 1 validation/],
  ];
  for (const [name, ids, o, pattern] of errors) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => splitPatients(ids, o),
        (e: unknown) => e instanceof SplitError && pattern.test(e.message),
      ));
  }
});
