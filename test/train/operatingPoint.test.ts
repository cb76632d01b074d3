import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapPooledRatio } from '../../src/metrics/bootstrap.js';
import { calibrateThreshold, describeOperatingPoint, thresholdsOf } from '../../src/train/operatingPoint.js';

/** One case: positives (label 2) and negatives (label 0) with the given class-2 probabilities. */
const oneCase = (positives: number[], negatives: number[]) => ({
  truth: Uint8Array.from([...positives.map(() => 2), ...negatives.map(() => 0)]),
  probability: Float32Array.from([...positives, ...negatives]),
});
const NEG = [0.95, 0.5, 0.2, 0.05];

describe('calibrateThreshold (hand-derived)', () => {
  const CASES: [string, number[], number, { threshold: number; sensitivity: number; precision: number; met: boolean }][] = [
    // 3 of 4 positives need t <= 0.30; negatives 0.95 and 0.5 are above: precision 3/5; the largest such t.
    ['target 0.75', [0.9, 0.6, 0.3, 0.1], 0.75, { threshold: 0.3, sensitivity: 0.75, precision: 0.6, met: true }],
    // All 4 need t <= 0.10: negatives 0.95, 0.5, 0.2 are above (0.05 is not): precision 4/7.
    ['target 1', [0.9, 0.6, 0.3, 0.1], 1, { threshold: 0.1, sensitivity: 1, precision: 4 / 7, met: true }],
    // A positive below 0.001 is never reached: at best 4 of 5, and the report must say so.
    ['an unreachable target', [0.9, 0.6, 0.3, 0.1, 0.0004], 0.9, { threshold: 0.1, sensitivity: 0.8, precision: 4 / 7, met: false }],
    // Below 0.01 the steps are 0.001: a positive at 0.0042 is reached with t = 0.004 (every negative is above).
    ['a target reached only below 0.01', [0.9, 0.6, 0.3, 0.1, 0.0042], 1, { threshold: 0.004, sensitivity: 1, precision: 5 / 9, met: true }],
  ];
  for (const [name, positives, target, expected] of CASES) {
    it(name, () => {
      const got = calibrateThreshold([oneCase(positives, NEG)], 2, target);
      assert.ok(Math.abs((got.threshold as number) - expected.threshold) < 1e-9, `threshold ${got.threshold}`);
      assert.ok(Math.abs((got.validationSensitivity as number) - expected.sensitivity) < 1e-12);
      assert.ok(Math.abs((got.validationPrecision as number) - expected.precision) < 1e-12);
      assert.equal(got.met, expected.met);
    });
  }
  it('pools voxels over cases', () => {
    const got = calibrateThreshold([oneCase([0.9, 0.6], [0.95]), oneCase([0.3, 0.1], [0.5, 0.2, 0.05])], 2, 0.75);
    assert.equal(got.threshold, 0.3);
  });
  it('is null without any voxel of the class, and then applies no threshold', () => {
    const got = calibrateThreshold([oneCase([], NEG)], 2, 0.9);
    assert.equal(got.threshold, null);
    assert.deepEqual(thresholdsOf({ '2': got }), {});
    assert.match(describeOperatingPoint({ '2': got }, ['background', 'organ', 'lesion'])[0], /no validation case has this class/);
  });
  it('keeps a precision floor: a target reached only by predicting the class everywhere is not met', () => {
    // Sensitivity 1 needs t <= 0.10, where the precision is 4/7 < 0.6. Keeping 0.6: t in (0.2, 0.3] gives
    // 3 of 4 at precision 3/5 (t in (0.3, 0.5] drops to 2/4 at 0.5): the most sensitive is t = 0.3.
    const got = calibrateThreshold([oneCase([0.9, 0.6, 0.3, 0.1], NEG)], 2, 1, 0.6);
    assert.equal(got.met, false);
    assert.equal(got.threshold, 0.3);
    assert.equal(got.validationSensitivity, 0.75);
    assert.match(describeOperatingPoint({ '2': got }, ['background', 'organ', 'lesion'])[0], /CANNOT be met on validation at a precision of at least 0.6: the best is 0.750/);
    const none = calibrateThreshold([oneCase([0.1], [0.95, 0.9, 0.5, 0.2])], 2, 0.9, 0.9);
    assert.equal(none.threshold, null);
    assert.match(describeOperatingPoint({ '2': none }, ['background', 'organ', 'lesion'])[0], /no threshold keeps that precision, arg-max used/);
  });

  it('says plainly when a target cannot be met', () => {
    const op = { '2': { ...calibrateThreshold([oneCase([0.9, 0.0001], NEG)], 2, 0.9), test: { sensitivity: 0.5, ci: [0.2, 0.8] as [number, number], n: 3 } } };
    assert.match(describeOperatingPoint(op, ['background', 'organ', 'lesion'])[0], /^lesion: target sensitivity 0.9 CANNOT be met on validation: the best is 0.500 .*on test 0.500 \[95 % CI 0.200, 0.800\], 3 case\(s\)$/);
  });
});

describe('bootstrapPooledRatio', () => {
  it('pools Σ num / Σ den, is reproducible by seed, and its CI holds the estimate', () => {
    const cases = [
      { num: 9, den: 10 },
      { num: 3, den: 6 },
      { num: 20, den: 20 },
      { num: 1, den: 4 },
    ];
    const a = bootstrapPooledRatio(cases, { seed: 7 });
    const b = bootstrapPooledRatio(cases, { seed: 7 });
    assert.deepEqual(a, b);
    assert.ok(a);
    assert.equal(a.estimate, 33 / 40);
    assert.ok(a.ci[0] <= a.estimate && a.estimate <= a.ci[1] && a.ci[0] < a.ci[1], JSON.stringify(a));
    assert.equal(a.n, 4);
  });
  it('has zero width when every case is the same, and is null without a denominator', () => {
    const same = bootstrapPooledRatio([
      { num: 1, den: 2 },
      { num: 1, den: 2 },
      { num: 1, den: 2 },
    ]);
    assert.deepEqual(same?.ci, [0.5, 0.5]);
    assert.equal(bootstrapPooledRatio([{ num: 0, den: 0 }]), null);
    assert.equal(bootstrapPooledRatio([]), null);
  });
  it('narrows with more cases (about 1/sqrt(n))', () => {
    const base = [
      { num: 9, den: 10 },
      { num: 3, den: 10 },
    ];
    const width = (n: number) => {
      const r = bootstrapPooledRatio(
        [...Array(n).keys()].flatMap(() => base),
        { seed: 3 },
      );
      return (r as { ci: [number, number] }).ci[1] - (r as { ci: [number, number] }).ci[0];
    };
    assert.ok(width(32) < width(2) / 2.5, `${width(2)} -> ${width(32)}`);
  });
});
