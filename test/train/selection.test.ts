import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeScore, isBetter, SelectionSchema, selectionScore, smoothScore, type SelectionScore } from '../../src/train/selection.js';

const CLASSES = ['background', 'organ', 'lesion'];
const agg = (mean: number | null) => ({ mean, std: 0, median: mean, n: mean === null ? 0 : 1 });
/** A validation summary: per class [dice, sensitivity]. */
const summary = (organ: [number, number | null], lesion: [number, number | null]) => ({
  organ: { dice: agg(organ[0]), sensitivity: agg(organ[1]) },
  lesion: { dice: agg(lesion[0]), sensitivity: agg(lesion[1]) },
});
const DEFAULT = SelectionSchema.parse({});
const TARGETS = { '2': 0.9 };

describe('selectionScore', () => {
  const CASES: [string, ReturnType<typeof summary>, Parameters<typeof selectionScore>[2], Record<string, number>, Omit<SelectionScore, 'missed'> | null][] = [
    ['default: mean foreground Dice, target met', summary([0.99, 0.99], [0.5, 0.95]), DEFAULT, TARGETS, { meetsTargets: true, value: 0.745 }],
    ['default: target missed', summary([0.99, 0.99], [0.7, 0.6]), DEFAULT, TARGETS, { meetsTargets: false, value: 0.845 }],
    ['an undefined sensitivity misses its target', summary([0.99, 0.99], [0.7, null]), DEFAULT, TARGETS, { meetsTargets: false, value: 0.845 }],
    ['without targets everything meets them', summary([0.99, 0.99], [0.7, 0.1]), DEFAULT, {}, { meetsTargets: true, value: 0.845 }],
    ['respectTargets false ignores them', summary([0.99, 0.99], [0.7, 0.1]), { ...DEFAULT, respectTargets: false }, TARGETS, { meetsTargets: true, value: 0.845 }],
    ['one class, another metric', summary([0.99, 0.98], [0.7, 0.6]), { ...DEFAULT, metric: 'sensitivity', class: 2 }, TARGETS, { meetsTargets: false, value: 0.6 }],
  ];
  for (const [name, s, selection, targets, expected] of CASES) {
    it(name, () => {
      const got = selectionScore(s, CLASSES, selection, targets);
      assert.ok(got && expected);
      assert.equal(got.meetsTargets, expected.meetsTargets);
      assert.ok(Math.abs(got.value - expected.value) < 1e-12, `${got.value}`);
    });
  }
  it('at an operating point, a target is met by its calibration, whatever the arg-max sensitivity', () => {
    const point = (met: boolean) => ({
      '2': { target: 0.9, minPrecision: 0.1, validationVoxels: 50, threshold: 0.2, validationSensitivity: met ? 0.92 : 0.8, validationPrecision: 0.4, met, curve: [], basis: 'voxel' as const, conformal: false },
    });
    const s = summary([0.99, 0.99], [0.6, 0.5]);
    assert.equal(selectionScore(s, CLASSES, DEFAULT, TARGETS)?.meetsTargets, false, 'the arg-max sensitivity 0.5 misses');
    assert.equal(selectionScore(s, CLASSES, DEFAULT, TARGETS, point(true))?.meetsTargets, true);
    const missed = selectionScore(s, CLASSES, DEFAULT, TARGETS, point(false));
    assert.equal(missed?.meetsTargets, false);
    assert.match(missed?.missed[0] ?? '', /lesion 0\.800 < 0\.9 at any threshold keeping precision 0\.1/);
  });

  describe('targetTolerance: met when the sensitivity reached is >= target - tolerance (16 of 18 lesions against 0.9)', () => {
    const point = (reached: number) => ({
      '2': {
        target: 0.9,
        minPrecision: 0.1,
        validationVoxels: 50,
        validationLesions: 18,
        threshold: 0.05,
        validationSensitivity: reached,
        validationPrecision: 0.3,
        met: reached >= 0.9,
        curve: [],
        basis: 'lesion' as const,
        conformal: false,
      },
    });
    const s = summary([0.99, 0.99], [0.6, 0.5]);
    // [name, tolerance, reached, met, shortfall]
    const ROWS: [string, number, number, boolean, number][] = [
      ['no tolerance: 16/18 misses', 0, 16 / 18, false, 0.9 - 16 / 18],
      ['0.06: 16/18 meets (0.889 >= 0.84)', 0.06, 16 / 18, true, 0],
      ['0.06: 15/18 misses by 0.84 - 0.833', 0.06, 15 / 18, false, 0.84 - 15 / 18],
      ['exactly at target - tolerance meets', 0.1, 0.8, true, 0],
      ['a met calibration stays met', 0.06, 17 / 18, true, 0],
    ];
    for (const [name, tolerance, reached, met, shortfall] of ROWS)
      it(name, () => {
        const got = selectionScore(s, CLASSES, { ...DEFAULT, targetTolerance: tolerance }, TARGETS, point(reached));
        assert.equal(got?.meetsTargets, met);
        assert.ok(Math.abs((got?.shortfall ?? -1) - shortfall) < 1e-12, `shortfall ${got?.shortfall}`);
      });
    it('at the arg-max, and named in the miss', () => {
      const got = selectionScore(summary([0.9, 0.9], [0.5, 0.8]), CLASSES, { ...DEFAULT, targetTolerance: 0.05 }, TARGETS);
      assert.equal(got?.meetsTargets, false);
      assert.deepEqual(got?.missed, ['lesion 0.800 < 0.9 - 0.05']);
      assert.equal(selectionScore(summary([0.9, 0.9], [0.5, 0.85]), CLASSES, { ...DEFAULT, targetTolerance: 0.05 }, TARGETS)?.meetsTargets, true);
    });
    it('is bounded to [0, 0.5]', () => {
      assert.throws(() => SelectionSchema.parse({ targetTolerance: -0.01 }));
      assert.throws(() => SelectionSchema.parse({ targetTolerance: 0.51 }));
    });
  });

  it('is null when the metric is undefined for every class it averages', () => {
    assert.equal(selectionScore(summary([0.9, null], [0.5, null]), CLASSES, { ...DEFAULT, metric: 'sensitivity' }, {}), null);
  });
});

describe('isBetter: the organ-dominated mean never wins over a met target', () => {
  const met = { meetsTargets: true, value: 0.6, missed: [] };
  const missedHigher = { meetsTargets: false, value: 0.9, missed: ['lesion 0.5 < 0.9'] };
  it('meeting the targets beats a higher value that misses them', () => {
    assert.equal(isBetter(met, missedHigher), true);
    assert.equal(isBetter(missedHigher, met), false);
  });
  it('between equals in targets, the larger value; a tie keeps the earlier epoch', () => {
    assert.equal(isBetter({ ...met, value: 0.61 }, met), true);
    assert.equal(isBetter(met, met), false);
  });
  it('anything beats no epoch yet', () => assert.equal(isBetter(missedHigher, null), true));
  it('between two epochs that miss, the one closer to the target wins, whatever its value', () => {
    const far = { meetsTargets: false, value: 0.8, missed: ['lesion 0.6 < 0.9'], shortfall: 0.3 };
    const near = { meetsTargets: false, value: 0.4, missed: ['lesion 0.85 < 0.9'], shortfall: 0.05 };
    assert.equal(isBetter(near, far), true);
    assert.equal(isBetter(far, near), false);
    assert.equal(isBetter({ ...near, value: 0.5 }, near), true, 'equal shortfalls: the larger value');
    const fromOld = { meetsTargets: false, value: 0.3, missed: [] };
    assert.equal(isBetter(far, fromOld), true, 'a checkpoint without a shortfall (older runs) compares by value');
  });
  it('measures the shortfall from the arg-max sensitivity or from the calibration', () => {
    assert.ok(Math.abs((selectionScore(summary([0.9, 0.9], [0.5, 0.6]), CLASSES, DEFAULT, TARGETS)?.shortfall ?? -1) - 0.3) < 1e-12);
    const point = { '2': { target: 0.9, minPrecision: 0.1, validationVoxels: 50, threshold: 0.01, validationSensitivity: 0.84, validationPrecision: 0.2, met: false, curve: [], basis: 'voxel' as const, conformal: false } };
    assert.ok(Math.abs((selectionScore(summary([0.9, 0.9], [0.5, 0.6]), CLASSES, DEFAULT, TARGETS, point)?.shortfall ?? -1) - 0.06) < 1e-12);
  });
  it('describes a score for progress messages', () => {
    assert.equal(describeScore(missedHigher, DEFAULT, CLASSES), 'validation dice (mean over foreground classes) 0.900, targets missed: lesion 0.5 < 0.9');
  });
});

describe('smoothScore: an exponential moving average over epochs (hand-derived)', () => {
  const score = (value: number, lesion: number): SelectionScore => ({ meetsTargets: lesion >= 0.9, value, missed: lesion >= 0.9 ? [] : ['x'], shortfall: Math.max(0, 0.9 - lesion), reached: { '2': lesion } });
  // [name, previous smoothed, current, a, expected value, expected lesion sensitivity, met]
  const CASES: [string, SelectionScore | null, SelectionScore, number, number, number, boolean][] = [
    ['a = 0.6: value 0.6 * 0.5 + 0.4 * 0.8, sensitivity 0.6 * 1 + 0.4 * 0.8', score(0.5, 1), score(0.8, 0.8), 0.6, 0.62, 0.92, true],
    // One lucky epoch (all lesions found once) does not meet the target after two that missed it.
    ['a lucky epoch is held back by its history', score(0.4, 0.6), score(0.3, 1), 0.6, 0.36, 0.76, false],
    ['a = 0: the epoch alone', score(0.5, 1), score(0.8, 0.8), 0, 0.8, 0.8, false],
    ['the first epoch: itself', null, score(0.8, 0.8), 0.6, 0.8, 0.8, false],
    ['a previous score from before smoothing (no reached): itself', { meetsTargets: true, value: 0.9, missed: [] }, score(0.8, 0.8), 0.6, 0.8, 0.8, false],
  ];
  for (const [name, previous, current, a, value, lesion, met] of CASES) {
    it(name, () => {
      const got = smoothScore(current, previous, a, TARGETS, CLASSES);
      assert.ok(Math.abs(got.value - value) < 1e-12, `value ${got.value}`);
      assert.ok(Math.abs((got.reached?.['2'] ?? -1) - lesion) < 1e-12, `lesion ${got.reached?.['2']}`);
      assert.equal(got.meetsTargets, met);
      assert.ok(Math.abs((got.shortfall ?? -1) - Math.max(0, 0.9 - lesion)) < 1e-12, `shortfall ${got.shortfall}`);
    });
  }
  it('names a smoothed miss as such, and a class without a target never misses', () => {
    const got = smoothScore(score(0.3, 1), score(0.4, 0.6), 0.6, TARGETS, CLASSES);
    assert.deepEqual(got.missed, ['lesion 0.760 < 0.9 (smoothed over epochs)']);
    assert.equal(smoothScore(score(0.3, 0.1), score(0.4, 0.1), 0.6, {}, CLASSES).meetsTargets, true);
  });
  it('judges the smoothed sensitivity against target - tolerance', () => {
    // 0.6 * 0.9 + 0.4 * 0.8 = 0.86: misses 0.9, meets 0.9 - 0.05.
    assert.equal(smoothScore(score(0.5, 0.8), score(0.5, 0.9), 0.6, TARGETS, CLASSES).meetsTargets, false);
    const got = smoothScore(score(0.5, 0.8), score(0.5, 0.9), 0.6, TARGETS, CLASSES, 0.05);
    assert.equal(got.meetsTargets, true);
    assert.equal(got.shortfall, 0);
    assert.deepEqual(smoothScore(score(0.5, 0.6), score(0.5, 0.9), 0.6, TARGETS, CLASSES, 0.05).missed, ['lesion 0.780 < 0.9 - 0.05 (smoothed over epochs)']);
  });
  it('records the reached sensitivity per target in every score, 0 when undefined', () => {
    assert.deepEqual(selectionScore(summary([0.9, 0.9], [0.5, null]), CLASSES, DEFAULT, TARGETS)?.reached, { '2': 0 });
    assert.deepEqual(selectionScore(summary([0.9, 0.9], [0.5, 0.7]), CLASSES, DEFAULT, TARGETS)?.reached, { '2': 0.7 });
  });
  it('says in progress messages that the standing is smoothed', () => {
    const got = describeScore(score(0.62, 0.92), SelectionSchema.parse({ smoothing: 0.6 }), CLASSES);
    assert.equal(got, 'validation dice (mean over foreground classes) 0.620, smoothed over epochs (0.6), sensitivity targets met');
  });
});
