import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lesionsRequired, requiredShare } from '../../src/train/conformal.js';
import { Random } from '../../src/util/random.js';

describe('lesionsRequired: validation lesions a lesion-wise target needs found', () => {
  // [target, n, conformal, required]: share ⌈n t⌉, conformal ⌈(n + 1) t⌉ (hand-derived).
  const ROWS: [number, number, boolean, number][] = [
    [0.9, 16, false, 15], // 14.4 -> 15: one miss allowed
    [0.9, 16, true, 16], // 15.3 -> 16: all of them
    [0.9, 18, true, 18], // 17.1 -> 18
    [0.9, 19, true, 18], // 18 exactly (18.000000000000004 in floating point): one miss allowed
    [0.9, 10, false, 9], // 9 exactly
    [0.9, 9, true, 9], // 9 exactly: the fewest lesions a conformal 0.9 can be met with
    [0.9, 8, true, 9], // more than n: cannot be met
    [0.8, 4, true, 4],
    [0.5, 1, true, 1],
    [0.9, 0, true, 0],
    [1, 30, true, 31], // a target of 1 is never guaranteed by n lesions
  ];
  for (const [target, n, conformal, required] of ROWS) it(`target ${target}, ${n} lesions, ${conformal ? 'conformal' : 'share'}: ${required}`, () => assert.equal(lesionsRequired(target, n, conformal), required));

  it('bounds the expected share of new lesions found at the target (Monte-Carlo, exchangeable peaks)', () => {
    // n validation peaks and one new one, i.i.d.: the threshold is the highest that finds the required
    // count; the new lesion is found when its peak reaches it. Exact coverage: required / (n + 1).
    const rng = new Random(7);
    for (const [target, n] of [
      [0.9, 16],
      [0.9, 19],
      [0.8, 12],
    ] as const) {
      const k = lesionsRequired(target, n, true);
      const R = 20000;
      let covered = 0;
      for (let r = 0; r < R; r++) {
        const peaks = Array.from({ length: n }, () => rng.next()).sort((a, b) => b - a);
        if (rng.next() >= peaks[k - 1]) covered++;
      }
      const coverage = covered / R;
      assert.ok(coverage >= target - 0.01, `coverage ${coverage} for target ${target}, n ${n}`);
      assert.ok(Math.abs(coverage - k / (n + 1)) < 0.01, `coverage ${coverage} against ${k / (n + 1)}`);
      // The share rule's threshold covers its target at best (n = 19 for 0.9), less on the others.
      const share = lesionsRequired(target, n, false);
      assert.ok(share / (n + 1) <= target + 1e-12, `share rule ${share}/${n + 1}`);
      if (n !== 19) assert.ok(share / (n + 1) < target - 0.01);
    }
  });

  it('requiredShare: a conformal lesion target needs required / n, anything else its target', () => {
    assert.equal(requiredShare({ target: 0.9, basis: 'lesion', conformal: true, validationLesions: 16 }), 1);
    assert.equal(requiredShare({ target: 0.9, basis: 'lesion', conformal: true, validationLesions: 19 }), 18 / 19);
    assert.equal(requiredShare({ target: 0.9, basis: 'lesion', conformal: true, validationLesions: 8 }), 9 / 8);
    assert.equal(requiredShare({ target: 0.9, basis: 'lesion', conformal: false, validationLesions: 16 }), 0.9);
    assert.equal(requiredShare({ target: 0.9, basis: 'voxel', validationLesions: 16 }), 0.9);
    assert.equal(requiredShare({ target: 0.9, basis: 'lesion', conformal: true }), 0.9, 'no lesion count recorded: the target');
  });
});
