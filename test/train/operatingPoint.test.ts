import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapPooledRatio } from '../../src/metrics/bootstrap.js';
import { coarseTargetNote } from '../../src/train/coarseTarget.js';
import { connectedComponents } from '../../src/metrics/connectedComponents.js';
import { Random } from '../../src/util/random.js';
import { bestDicePoint } from '../../src/train/curvePoints.js';
import { calibrateThreshold, caseDetectionCurve, ClassOperatingPointSchema, FROC_THRESHOLDS, describeOperatingPoint, faintRulesOf, labelsAtOperatingPoint, thresholdsOf } from '../../src/train/operatingPoint.js';

/** One case: positives (label 2) and negatives (label 0) with the given class-2 probabilities. */
const oneCase = (positives: number[], negatives: number[]) => ({
  size: [positives.length + negatives.length, 1, 1] as const,
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
    const got = calibrateThreshold([oneCase([0.9, 0.6, 0.3, 0.1], NEG)], 2, 1, { minPrecision: 0.6 });
    assert.equal(got.met, false);
    assert.equal(got.threshold, 0.3);
    assert.equal(got.validationSensitivity, 0.75);
    assert.match(describeOperatingPoint({ '2': got }, ['background', 'organ', 'lesion'])[0], /CANNOT be met on validation at a precision of at least 0.6: the best is 0.750/);
    const none = calibrateThreshold([oneCase([0.1], [0.95, 0.9, 0.5, 0.2])], 2, 0.9, { minPrecision: 0.9 });
    assert.equal(none.threshold, null);
    assert.match(describeOperatingPoint({ '2': none }, ['background', 'organ', 'lesion'])[0], /no threshold keeps that precision, arg-max used/);
  });

  it('records the validation trade-off per threshold and names what the target costs in Dice', () => {
    // Positives 0.9, 0.6, 0.3, 0.1 against NEG (0.95, 0.5, 0.2, 0.05); GT = 4.
    const got = calibrateThreshold([oneCase([0.9, 0.6, 0.3, 0.1], NEG)], 2, 1);
    assert.equal(got.curve.length, 108, 'one point per candidate threshold');
    assert.deepEqual(
      got.curve.map((c) => c.t),
      [...got.curve.map((c) => c.t)].sort((a, b) => a - b),
      'ascending thresholds',
    );
    const at = (t: number) => got.curve.find((c) => Math.abs(c.t - t) < 1e-9);
    const TABLE: [number, { sensitivity: number; precision: number; dice: number }][] = [
      // t = 0.1: TP 4 (all), FP 3 (0.95, 0.5, 0.2): Dice 8 / (8 + 3 + 0).
      [0.1, { sensitivity: 1, precision: 4 / 7, dice: 8 / 11 }],
      // t = 0.3: TP 3, FP 2, FN 1: Dice 6 / 9.
      [0.3, { sensitivity: 0.75, precision: 0.6, dice: 6 / 9 }],
      // t = 0.6: TP 2, FP 1 (0.95), FN 2: Dice 4 / 7.
      [0.6, { sensitivity: 0.5, precision: 2 / 3, dice: 4 / 7 }],
      // t = 0.99: nothing predicted: precision undefined, Dice 0.
      [0.99, { sensitivity: 0, precision: Number.NaN, dice: 0 }],
    ];
    for (const [t, e] of TABLE) {
      const p = at(t);
      assert.ok(p, `a point at t = ${t}`);
      assert.ok(Math.abs((p.sensitivity ?? -1) - e.sensitivity) < 1e-12, `sensitivity at ${t}: ${p.sensitivity}`);
      if (Number.isNaN(e.precision)) assert.equal(p.precision, null);
      else assert.ok(Math.abs((p.precision ?? -1) - e.precision) < 1e-12, `precision at ${t}: ${p.precision}`);
      assert.ok(Math.abs((p.dice ?? -1) - e.dice) < 1e-12, `Dice at ${t}: ${p.dice}`);
    }
    // The best Dice, 8/11, is reached for t in (0.05, 0.1]: the largest such t is 0.1, the threshold the
    // target 1 picks, so nothing is said of a cost.
    assert.equal(bestDicePoint(got)?.t, 0.1);
    assert.doesNotMatch(describeOperatingPoint({ '2': got }, ['background', 'organ', 'lesion'])[0], /the class's best/);
    // Target 0.75 picks t = 0.3 (Dice 6/9 = 0.667), below the best 8/11 = 0.727 at t = 0.1.
    const costly = calibrateThreshold([oneCase([0.9, 0.6, 0.3, 0.1], NEG)], 2, 0.75);
    assert.match(describeOperatingPoint({ '2': costly }, ['background', 'organ', 'lesion'])[0], /validation Dice 0\.667 there, against 0\.727 at threshold 0\.1 \(sensitivity 1\.000, precision 0\.571\), the class's best/);
    // No voxel of the class: no curve, no best point; a run calibrated before the curve existed parses to an empty one.
    assert.deepEqual(calibrateThreshold([oneCase([], NEG)], 2, 0.9).curve, []);
    assert.equal(bestDicePoint(ClassOperatingPointSchema.parse({ target: 0.9, threshold: 0.2, validationSensitivity: 0.9, validationPrecision: 0.3, met: true })), null);
  });

  it('calibrates a lesion-wise target on lesions found, at its best Dice, which a faint edge does not hold back', () => {
    // One row of voxels (26-connected runs are lesions): lesion A = 0.8, 0.3, 0.035; a negative 0.35 between;
    // lesion B = 0.5; four faint negatives 0.045 (none at a bin edge: float32 0.03 is below 0.03). GT: 4 voxels, 2 lesions.
    const row = {
      size: [9, 1, 1] as const,
      truth: Uint8Array.from([2, 2, 2, 0, 2, 0, 0, 0, 0]),
      probability: Float32Array.from([0.8, 0.3, 0.035, 0.35, 0.5, 0.045, 0.045, 0.045, 0.045]),
    };
    // Voxels: all 4 need t <= 0.03, where every negative is in: precision 4 / 9.
    const voxel = calibrateThreshold([row], 2, 1);
    assert.equal(voxel.threshold, 0.03);
    assert.ok(Math.abs((voxel.validationPrecision ?? -1) - 4 / 9) < 1e-12);
    // Lesions: both are found for t <= 0.5 (B's only voxel). Pooled Dice 2 TP / (GT + TP + FP) there:
    // t in (0.35, 0.5]: 4 / 6 (precision 1); (0.3, 0.35]: 4 / 7; (0.045, 0.3]: 6 / 8 (precision 0.75);
    // (0.035, 0.045]: 6 / 12; <= 0.035: 8 / 13. The best Dice is 0.75, the largest such t 0.3 (not the
    // most precise 0.5, which keeps half the lesion voxels).
    const lesion = calibrateThreshold([row], 2, 1, { basis: 'lesion' });
    assert.equal(lesion.basis, 'lesion');
    assert.equal(lesion.threshold, 0.3);
    assert.equal(lesion.met, true);
    assert.equal(lesion.validationSensitivity, 1, 'the sensitivity reported is the basis: lesions found');
    assert.equal(lesion.validationLesions, 2);
    assert.ok(Math.abs((lesion.validationPrecision ?? -1) - 0.75) < 1e-12);
    const at = (t: number) => lesion.curve.find((c) => Math.abs(c.t - t) < 1e-9);
    assert.deepEqual(
      [0.03, 0.5, 0.51, 0.81].map((t) => at(t)?.detection),
      [1, 1, 0.5, 0],
      'detection by threshold',
    );
    assert.equal(at(0.5)?.sensitivity, 0.5, 'the voxel sensitivity is on the curve too');
    assert.ok(Math.abs((at(0.3)?.dice ?? -1) - 0.75) < 1e-12);
    assert.match(describeOperatingPoint({ '2': lesion }, ['background', 'organ', 'lesion'])[0], /^lesion: target lesion-wise sensitivity \(lesions found\) 1 met with threshold 0\.3 /);
    // Without lesions there is nothing to detect: no threshold.
    assert.equal(calibrateThreshold([oneCase([], NEG)], 2, 0.9, { basis: 'lesion' }).threshold, null);
  });

  it('outlines a lesion-wise target at its best-Dice threshold when meeting the target needs a lower one, and applies both', () => {
    // Lesion A = voxels 0-1 (0.8, 0.6); lesion B = voxel 3 (0.045, found only for t <= 0.04); negatives
    // 0.3, 0.1 x 3 and 0.05 between faint 0.02s. GT: 3 voxels, 2 lesions. Finding both needs t <= 0.04:
    // TP 3, FP 5 (every negative >= 0.04), Dice 6 / 11. The best Dice is t in (0.3, 0.6]: TP 2, FP 0,
    // 4 / 5; the largest such t is 0.6, the outline.
    const probability = [0.8, 0.6, 0.02, 0.045, 0.02, 0.3, 0.02, 0.1, 0.02, 0.1, 0.02, 0.1, 0.02, 0.05];
    const c = { size: [probability.length, 1, 1] as const, truth: Uint8Array.from([2, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), probability: Float32Array.from(probability) };
    const lesion = calibrateThreshold([c], 2, 1, { basis: 'lesion' });
    assert.equal(lesion.threshold, 0.04);
    assert.equal(lesion.outlineThreshold, 0.6);
    assert.ok(Math.abs((lesion.curve.find((p) => p.t === 0.04)?.dice ?? -1) - 6 / 11) < 1e-12);
    assert.deepEqual(thresholdsOf({ '2': lesion }), { 2: 0.6 }, 'the voxel rule draws at the outline');
    assert.deepEqual(faintRulesOf({ '2': lesion }), { 2: { detect: 0.04, outline: 0.6 } });
    // A voxel target outlines where it detects: its sensitivity counts voxels.
    assert.equal(calibrateThreshold([c], 2, 1).outlineThreshold, undefined);
    assert.deepEqual(faintRulesOf({ '2': calibrateThreshold([c], 2, 1) }), {});
    // Applied to the arg-max (nothing of class 2): lesion A at >= 0.6; every other component that
    // reaches 0.04 outlined at half its peak: B, the 0.3 and 0.1 negatives and the 0.05 one.
    const labels = labelsAtOperatingPoint(new Uint8Array(probability.length), new Map([[2, c.probability]]), { '2': lesion }, c.size);
    assert.deepEqual([...labels], [2, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2]);
    assert.match(describeOperatingPoint({ '2': lesion }, ['background', 'organ', 'lesion'])[0], /met with threshold 0\.04 .*; lesions outlined at 0\.6, the validation's best Dice, and a lesion only 0\.04 reaches at half its peak/);
    // False positives of the rule (objects labelling no lesion voxel): 0 above 0.3; 1 (the 0.3) down to
    // 0.11; 4 down to 0.06; 5 (the 0.05 too) down to 0.02 (float32 0.02 is below 0.02); still 5 at 0.01,
    // where the 0.02s join everything into one component of p >= t: every faint peak joins A at a saddle
    // of 0.02, at most half its peak, so each stays a lesion of its own (B found, 5 drawn elsewhere).
    assert.deepEqual(
      [0.31, 0.3, 0.11, 0.1, 0.06, 0.05, 0.02, 0.01].map((t) => lesion.curve.find((p) => p.t === t)?.falsePositivesPerCase),
      [0, 1, 1, 4, 4, 5, 5, 5],
    );
    assert.match(describeOperatingPoint({ '2': lesion }, ['background', 'organ', 'lesion'])[0], /precision 0\.375, 5\.0 false-positive components per case\)/);
    // A budget of 5 per case keeps 0.04; of 4, no threshold finds both lesions within it (B needs t <= 0.04):
    // not met, and of those within it, the one that finds most at the highest t, 0.8.
    assert.equal(calibrateThreshold([c], 2, 1, { basis: 'lesion', maxFalsePositivesPerCase: 5 }).threshold, 0.04);
    const budget = calibrateThreshold([c], 2, 1, { basis: 'lesion', maxFalsePositivesPerCase: 4 });
    assert.deepEqual([budget.threshold, budget.outlineThreshold, budget.met, budget.validationSensitivity, budget.maxFalsePositivesPerCase], [0.8, undefined, false, 0.5, 4]);
    assert.match(
      describeOperatingPoint({ '2': budget }, ['background', 'organ', 'lesion'])[0],
      /CANNOT be met on validation at at most 4 false-positive components per case: the best is 0\.500 \(threshold 0\.8, precision 1\.000, 0\.0 false-positive components per case\)/,
    );
  });

  it('counts a lesion target under the two-threshold rule as applied, which can need a lower detection threshold than the curve', () => {
    // Lesion A = voxels 0-3 (0.905); lesion B = voxel 5 (0.305), joined to negatives 6-7 (0.805);
    // negatives 0.205 at 9, 11, 13; lesion C = voxel 15 (0.055); 0 between. GT: 6 voxels, 3 lesions.
    // Dice 2 TP / (GT + TP + FP): t in (0.8, 0.9]: 8 / 10, the best, so the outline is 0.9; (0.3, 0.8]:
    // 8 / 12; (0.2, 0.3]: 10 / 13; (0.05, 0.2]: 10 / 16; <= 0.05: 12 / 17. The curve finds 2 of 3 for
    // t <= 0.3, and of those 0.3 has the best Dice. But at detection 0.3 the component of B also holds the
    // 0.805 negatives, so it is outlined at half that peak (0.4025) and B's own voxel is not drawn: the
    // rule finds A only. Down the candidates, the first to find 2 of 3 under the rule is 0.05 (C alone).
    const probability = [0.905, 0.905, 0.905, 0.905, 0, 0.305, 0.805, 0.805, 0, 0.205, 0, 0.205, 0, 0.205, 0, 0.055, 0];
    const truth = Uint8Array.from([2, 2, 2, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    const c = { size: [probability.length, 1, 1] as const, truth, probability: Float32Array.from(probability) };
    const at = (p: ReturnType<typeof calibrateThreshold>) => [p.threshold, p.outlineThreshold, p.met];
    const lesion = calibrateThreshold([c], 2, 0.6, { basis: 'lesion' });
    assert.deepEqual(at(lesion), [0.05, 0.9, true]);
    assert.ok(Math.abs((lesion.validationSensitivity ?? -1) - 2 / 3) < 1e-12, 'the lesions found under the rule');
    assert.ok(Math.abs((lesion.validationPrecision ?? -1) - 6 / 11) < 1e-12);
    assert.ok(Math.abs((lesion.curve.find((p) => p.t === 0.3)?.detection ?? -1) - 2 / 3) < 1e-12, 'the curve still reads the single threshold');
    const labels = labelsAtOperatingPoint(new Uint8Array(probability.length), new Map([[2, c.probability]]), { '2': lesion }, c.size);
    assert.deepEqual([...labels], [2, 2, 2, 2, 0, 0, 2, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0]);
    // An arg-max that already labels B keeps it (labelsAt), so A (drawn at the outline) and B are found
    // at any detection threshold below 0.9: the best Dice among those is 0.89's, 8 / 10.
    const argmax = new Uint8Array(probability.length);
    argmax[5] = 2;
    assert.deepEqual(at(calibrateThreshold([{ ...c, argmax }], 2, 0.6, { basis: 'lesion' })), [0.89, 0.9, true]);
    // A target the rule cannot reach at any threshold is reported as not met, with what it found.
    const none = calibrateThreshold([c], 2, 0.9, { basis: 'lesion' });
    assert.equal(none.met, false);
    assert.equal(none.threshold, 0.05);
    assert.ok(Math.abs((none.validationSensitivity ?? -1) - 2 / 3) < 1e-12);
  });

  it('calibrates a conformal lesion-wise target for ⌈(n + 1) · target⌉ lesions, and says what it needed', () => {
    // One row: 10 single-voxel lesions (peaks below), each followed by a separator under every candidate,
    // then 20 negatives at 0.205 in a run. Off bin edges: 0.305 reaches t = 0.3, 0.125 reaches 0.12.
    const peaks = [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.305, 0.125];
    const row = (lesions: number[]) => ({
      size: [lesions.length * 2 + 20, 1, 1] as const,
      truth: Uint8Array.from([...lesions.flatMap(() => [2, 0]), ...Array(20).fill(0)]),
      probability: Float32Array.from([...lesions.flatMap((p) => [p, 0.0005]), ...Array(20).fill(0.205)]),
    });
    // Share: 9 of 10 (0.9) at t <= 0.3, best Dice there (no false positive): 0.3.
    const share = calibrateThreshold([row(peaks)], 2, 0.9, { basis: 'lesion' });
    assert.deepEqual([share.threshold, share.met, share.conformal, share.validationSensitivity], [0.3, true, false, 0.9]);
    // Conformal: ⌈11 · 0.9⌉ = 10 of 10, so t <= 0.12, where the 20 negatives are in; outlined at the best Dice, 0.3.
    const conformal = calibrateThreshold([row(peaks)], 2, 0.9, { basis: 'lesion', conformal: true });
    assert.deepEqual([conformal.threshold, conformal.outlineThreshold, conformal.met, conformal.conformal, conformal.validationSensitivity], [0.12, 0.3, true, true, 1]);
    assert.match(
      describeOperatingPoint({ '2': conformal }, ['background', 'organ', 'lesion'])[0],
      /^lesion: target lesion-wise sensitivity \(lesions found\) 0\.9 \(conformal: 10 of 10 validation lesions needed, so that the expected share found on new lesions is at least 0\.9\) met with threshold 0\.12 /,
    );
    // 8 lesions cannot carry a conformal 0.9 (⌈9 · 0.9⌉ = 9 > 8) even when every one is found.
    const few = calibrateThreshold([row(peaks.slice(0, 8))], 2, 0.9, { basis: 'lesion', conformal: true });
    assert.deepEqual([few.met, few.validationSensitivity], [false, 1]);
    assert.match(describeOperatingPoint({ '2': few }, ['background', 'organ', 'lesion'])[0], /\(conformal: a guarantee of 0\.9 needs more than 8 validation lesions\) CANNOT be met on validation/);
    assert.equal(calibrateThreshold([row(peaks.slice(0, 8))], 2, 0.9, { basis: 'lesion' }).met, true, 'the share rule: 8 of 8');
  });

  it('says plainly when a target cannot be met', () => {
    const op = { '2': { ...calibrateThreshold([oneCase([0.9, 0.0001], NEG)], 2, 0.9), test: { sensitivity: 0.5, ci: [0.2, 0.8] as [number, number], n: 3 } } };
    assert.match(describeOperatingPoint(op, ['background', 'organ', 'lesion'])[0], /^lesion: target sensitivity 0.9 CANNOT be met on validation: the best is 0.500 .*on test 0.500 \[95 % CI 0.200, 0.800\], 3 case\(s\)$/);
  });
});

describe('coarseTargetNote: a lesion-wise target that one missed validation lesion fails', () => {
  const point = (basis: 'voxel' | 'lesion', target: number, validationLesions: number | undefined) =>
    ClassOperatingPointSchema.parse({ target, basis, validationVoxels: 40, validationLesions, threshold: 0.3, validationSensitivity: 1, validationPrecision: 0.5, met: true });
  // [basis, target, validation lesions, the note's "at least" count or null for no note]
  const CASES: ['voxel' | 'lesion', number, number | undefined, number | null][] = [
    ['lesion', 0.9, 5, 10], // 4 / 5 = 0.8 < 0.9: all 5 must be found
    ['lesion', 0.9, 9, 10], // 8 / 9 = 0.889 < 0.9
    ['lesion', 0.9, 10, null], // 9 / 10 = 0.9 meets it: one miss is allowed
    ['lesion', 0.75, 4, null], // 3 / 4 = 0.75
    ['lesion', 0.75, 3, 4],
    ['lesion', 1, 50, null], // a target of 1 asks for every lesion by definition: nothing to warn about
    ['lesion', 0.9, 0, null], // no lesion: describeOperatingPoint says "no validation case has this class"
    ['lesion', 0.9, undefined, null], // a run from before the count was recorded
    ['voxel', 0.9, 5, null], // voxel sensitivity does not move in steps of lesions
  ];
  // [target, validation lesions, the note's "at least" count or null, "all" or "too few"]: conformal, ⌈(n + 1) t⌉ found.
  const CONFORMAL: [number, number, number | null, string][] = [
    [0.9, 16, 19, 'all'], // 16 of 16
    [0.9, 18, 19, 'all'], // 18 of 18
    [0.9, 19, null, ''], // 18 of 19
    [0.9, 8, 19, 'too few'], // 9 of 8
  ];
  for (const [target, n, room, what] of CONFORMAL)
    it(`conformal target ${target}, ${n} validation lesions: ${room === null ? 'no caution' : `${what}, at least ${room}`}`, () => {
      const note = coarseTargetNote({ ...point('lesion', target, n), conformal: true });
      if (room === null) assert.equal(note, null);
      else if (what === 'all') assert.match(note ?? '', new RegExp(`holds only ${n} lesion\\(s\\), so a conformal lesion-wise target of ${target} means finding all ${n} .* at least ${room} lesions`));
      else assert.match(note ?? '', new RegExp(`holds only ${n} lesion\\(s\\), too few for a conformal lesion-wise target of ${target}, which needs ${n + 1} found; .* at least ${room} lesions`));
    });
  for (const [basis, target, n, room] of CASES) {
    it(`${basis} target ${target}, ${n} validation lesions: ${room === null ? 'no caution' : `at least ${room}`}`, () => {
      const note = coarseTargetNote(point(basis, target, n));
      if (room === null) assert.equal(note, null);
      else assert.match(note ?? '', new RegExp(`holds only ${n} lesion\\(s\\), so a lesion-wise target of ${target} means finding all ${n} .* at least ${room} lesions`));
    });
  }
  it('is appended to the operating point sentence that runs show and the model card print', () => {
    const lines = describeOperatingPoint({ '2': point('lesion', 0.9, 5) }, ['background', 'organ', 'lesion']);
    assert.match(lines[0], /^lesion: target lesion-wise sensitivity \(lesions found\) 0\.9 met .*\. Caution: the validation split holds only 5 lesion\(s\)/);
    assert.doesNotMatch(describeOperatingPoint({ '2': point('lesion', 0.9, 12) }, ['background', 'organ', 'lesion'])[0], /Caution/);
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

describe('caseDetectionCurve: a FROC case counted at every threshold in one pass', () => {
  /** Brute force at one threshold: label p >= t, count every (lesion, component) overlap, match at IoU >= 0.1. */
  const byLabelling = (truth: Uint8Array, p: Float32Array, t: number, size: readonly [number, number, number]) => {
    const lesions = connectedComponents(
      Uint8Array.from(truth, (v) => (v === 2 ? 1 : 0)),
      size,
    );
    const candidates = connectedComponents(
      Uint8Array.from(p, (v) => (v >= t ? 1 : 0)),
      size,
    );
    const sizes = (c: { labels: Int32Array; count: number }) => {
      const n = new Array<number>(c.count + 1).fill(0);
      for (const l of c.labels) n[l]++;
      return n;
    };
    const [lesionSize, candidateSize] = [sizes(lesions), sizes(candidates)];
    const overlap = new Map<string, number>();
    lesions.labels.forEach((l, v) => {
      const c = candidates.labels[v];
      if (l && c) overlap.set(`${l},${c}`, (overlap.get(`${l},${c}`) ?? 0) + 1);
    });
    const found = new Set<number>();
    const matched = new Set<number>();
    for (const [key, n] of overlap) {
      const [l, c] = key.split(',').map(Number);
      if (n / (lesionSize[l] + candidateSize[c] - n) >= 0.1) {
        found.add(l);
        matched.add(c);
      }
    }
    return { lesions: lesions.count, found: found.size, falsePositives: candidates.count - matched.size, touched: new Set([...overlap.keys()].map((k) => k.split(',')[0])).size };
  };

  for (const seed of [11, 12, 13]) {
    it(`equals labelling p >= t and matching at IoU >= 0.1, threshold by threshold (random 14 x 9 x 5 volume with two classes, seed ${seed})`, () => {
      const size = [14, 9, 5] as const;
      const rng = new Random(seed);
      // Class 2 lesions of a few voxels and class 1 elsewhere: only class 2 counts; p is anything, with a faint floor.
      const truth = Uint8Array.from({ length: size[0] * size[1] * size[2] }, () => (rng.next() < 0.07 ? 2 : rng.next() < 0.3 ? 1 : 0));
      const p = Float32Array.from(truth, (t) => (t === 2 || rng.next() < 0.06 ? rng.next() : rng.next() * 0.02));
      const curve = caseDetectionCurve(truth, p, 2, size);
      const reference = FROC_THRESHOLDS.map((t) => byLabelling(truth, p, t, size));
      assert.equal(curve.lesions, reference[0].lesions);
      assert.deepEqual(
        [...curve.found],
        reference.map((r) => r.found),
      );
      assert.deepEqual(
        [...curve.falsePositives],
        reference.map((r) => r.falsePositives),
      );
      assert.ok(curve.lesions > 5 && new Set(curve.found).size > 3 && new Set(curve.falsePositives).size > 3, 'the volume exercises both counts');
      // The criterion bites: at low thresholds a component touches lesions it does not localise.
      assert.ok(
        reference.some((r) => r.touched > r.found),
        'some lesion is touched but not localised',
      );
    });
  }

  // Rows of n voxels: one-voxel lesions at 2 and 7, p 0.9 there and 0.2 everywhere else. At 0.5 each
  // lesion is its own candidate; at 0.2 one component of n voxels touches both, IoU 1 / n with each.
  for (const { n, found, falsePositives } of [
    { n: 10, found: 2, falsePositives: 0 }, // IoU 0.1: the limit, localised
    { n: 12, found: 0, falsePositives: 1 }, // IoU 1/12: touched, not localised; the component is a false positive
  ])
    it(`a component over ${n} voxels touching both lesions: ${found} found, ${falsePositives} false positive(s) at 0.2 (hand-derived)`, () => {
      const truth = Uint8Array.from({ length: n }, (_, v) => (v === 2 || v === 7 ? 2 : 1));
      const p = Float32Array.from(truth, (t) => (t === 2 ? 0.9 : 0.2));
      const curve = caseDetectionCurve(truth, p, 2, [n, 1, 1]);
      const at = (t: number) => FROC_THRESHOLDS.indexOf(t);
      assert.deepEqual([curve.found[at(0.5)], curve.falsePositives[at(0.5)]], [2, 0]);
      assert.deepEqual([curve.found[at(0.2)], curve.falsePositives[at(0.2)]], [found, falsePositives]);
    });
});
