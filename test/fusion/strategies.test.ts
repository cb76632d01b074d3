import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BatchAdaptiveStrategy, type BatchAdaptiveOptions } from '../../src/fusion/batchAdaptive.js';
import { applyControls, FusionControlsSchema, FusionOptionError } from '../../src/fusion/controls.js';
import { createFusionStrategy } from '../../src/fusion/registry.js';
import { DwaStrategy } from '../../src/fusion/dwa.js';
import { GradNormStrategy } from '../../src/fusion/gradnorm.js';
import { StaticStrategy } from '../../src/fusion/static.js';
import type { BatchStats } from '../../src/fusion/strategy.js';
import { UncertaintyStrategy } from '../../src/fusion/uncertainty.js';

const near = (got: number[], want: number[], tol = 1e-9) => got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol, `[${i}] ${g} vs ${want[i]}`));
const NO_CONTROLS = { normalize: false, minWeight: 0, maxWeight: 1e9 };

describe('common controls', () => {
  const CASES: [string, number[], number[] | null, Record<string, unknown>, number[]][] = [
    ['normalise to sum K', [1, 3], null, {}, [0.5, 1.5]],
    ['clip after normalising', [1, 99], null, { minWeight: 0.1, maxWeight: 1.5 }, [0.1, 1.5]],
    ['EMA against the previous weights', [1, 3], [1, 1], { smoothing: 0.5 }, [0.75, 1.25]],
    ['non-finite or negative raw weights count as 0', [Number.NaN, -1, 2], null, { minWeight: 0 }, [0, 0, 3]],
  ];
  for (const [name, raw, prev, controls, want] of CASES) {
    it(name, () => near(applyControls(raw, prev, FusionControlsSchema.parse(controls)), want));
  }
});

describe('static', () => {
  it('uses its fixed weights (normalised) every batch and records them', () => {
    const s = new StaticStrategy(['dice', 'focal'], { weights: [1, 3] });
    near(s.weights({ epoch: 0, step: 0, losses: [0.5, 0.2] }), [0.5, 1.5]);
    near(s.weights({ epoch: 0, step: 1, losses: [0.4, 0.1] }), [0.5, 1.5]);
    assert.equal(s.history.length, 2);
  });
  it('rejects a weight list of the wrong length, naming both counts', () => {
    assert.throws(() => new StaticStrategy(['dice', 'focal'], { weights: [1] }), /1 initial weights for 2 losses/);
  });
});

describe('dwa', () => {
  it('follows w_i = K exp(r_i/T) / Σ exp(r_j/T) with r from the loss history (hand-computed)', () => {
    const s = new DwaStrategy(['a', 'b'], { temperature: 2, lossSmoothing: 0, controls: NO_CONTROLS });
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1] }), [1, 1]);
    // r = [0.5/1, 1/1]; exp(0.25) = 1.2840254167, exp(0.5) = 1.6487212707
    near(s.weights({ epoch: 0, step: 1, losses: [0.5, 1] }), [(2 * 1.2840254166877414) / (1.2840254166877414 + 1.6487212707001282), (2 * 1.6487212707001282) / (1.2840254166877414 + 1.6487212707001282)]);
  });
});

describe('gradnorm', () => {
  it('takes one gradient step on |G_i - Ḡ r_i^α| and renormalises (hand-computed)', () => {
    const s = new GradNormStrategy(['a', 'b'], { alpha: 1.5, learningRate: 0.025, controls: NO_CONTROLS });
    // G = [2, 1], Ḡ = 1.5, r = [1, 1] -> targets 1.5; signs [+, -]; w = [1 - 0.05, 1 + 0.025], sum 1.975
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1], gradientNorms: [2, 1] }), [(0.95 * 2) / 1.975, (1.025 * 2) / 1.975]);
  });
  it('pulls the slower-falling loss up: its target exceeds its gradient norm', () => {
    const s = new GradNormStrategy(['a', 'b'], { alpha: 1.5, learningRate: 0.1, controls: NO_CONTROLS });
    s.weights({ epoch: 0, step: 0, losses: [1, 1], gradientNorms: [1, 1] });
    const w = s.weights({ epoch: 0, step: 1, losses: [0.2, 0.9], gradientNorms: [1, 1] });
    assert.ok(w[1] > w[0], `weights ${w}`);
  });
  it('needs gradient norms every batch', () => {
    assert.throws(() => new GradNormStrategy(['a', 'b']).weights({ epoch: 0, step: 0, losses: [1, 1] }), /needs gradientNorms for 2 losses/);
  });
});

describe('uncertainty', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  it('trains log-variances with the optimizer: s ← s - η (1 - exp(-s) L) (hand-computed)', () => {
    const s = new UncertaintyStrategy(['a', 'b'], { controls: NO_CONTROLS });
    const losses = [tf.scalar(2), tf.scalar(0.5)];
    tf.train.sgd(0.1).minimize(() => s.fusedLoss(losses, 0), false, s.variables);
    near([...s.logVariances.dataSync()], [0.1, -0.05], 1e-6);
    near(s.weights({ epoch: 0, step: 0, losses: [2, 0.5] }), [Math.exp(-0.1), Math.exp(0.05)], 1e-6);
    losses.forEach((l) => l.dispose());
    s.dispose();
  });
  it('refuses EMA smoothing, which cannot apply to learned weights', () => {
    assert.throws(() => new UncertaintyStrategy(['a'], { controls: { smoothing: 0.5 } }), /smoothing must be 0/);
  });
});

describe('batchAdaptive', () => {
  // 1,000 voxels: background 900, organ 80, lesion 20; found 890, 76 and 12 of them (sensitivity 0.6 on
  // the lesion); 10 voxels wrongly called organ (specificity of the organ 1 - 10/920).
  const COUNTS = { truePositives: [890, 76, 12], groundTruth: [900, 80, 20], predicted: [899, 86, 15] };
  const stats = (counts = COUNTS, over: Partial<BatchStats> = {}): BatchStats => ({
    foregroundFraction: 0.02,
    classPresent: counts.groundTruth.map((g) => g > 0),
    sensitivity: counts.groundTruth.map((g, c) => (g > 0 ? counts.truePositives[c] / g : null)),
    specificity: [0.9, 0.99, 0.999],
    counts,
    ...over,
  });
  const lesionMissed = (tp: number) => ({ ...COUNTS, truePositives: [890, 76, tp] });
  const noLesion = { truePositives: [900, 76, 0], groundTruth: [920, 80, 0], predicted: [914, 86, 0] };
  const LOSSES3 = ['dice', 'focal', 'crossEntropy'];
  const strategy = (over: BatchAdaptiveOptions = {}) => new BatchAdaptiveStrategy(LOSSES3, { sensitivityTargets: { '2': 0.9 }, specificityTargets: { '1': 0.995 }, rareClasses: [2], statisticsSmoothing: 0, controls: NO_CONTROLS, ...over });
  const lesionShortfall = (0.9 - 0.6) / 0.9;
  const organShortfall = (0.995 - (1 - 10 / 920)) / 0.995;

  it('weights whole losses by foreground share and rare-class presence (hand-computed)', () => {
    const s = strategy();
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1, 1], batch: stats() }), [1 + 1 * (1 - 0.02 / 0.1), 1 + 0.5, 1]);
  });

  it("acts on the short class's terms only with targetScope 'class' (default)", () => {
    const s = strategy();
    s.weights({ epoch: 0, step: 0, losses: [1, 1, 1], batch: stats() });
    // rows: dice (region), focal (recall), crossEntropy (voxel); columns: background, organ, lesion
    const m = s.classWeights();
    near(m[0], [1, 1, 1]);
    near(m[1], [1, 1, 1 + 2 * lesionShortfall]);
    near(m[2], [1, 1 + 2 * organShortfall, 1]);
  });

  it("acts on whole losses with targetScope 'loss'", () => {
    const s = strategy({ targetScope: 'loss' });
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1, 1], batch: stats() }), [1.8, 1.5 * (1 + 2 * lesionShortfall), 1 + 2 * organShortfall]);
    for (const row of s.classWeights()) near(row, [1, 1, 1]);
  });

  const SMOOTHING: [string, number, BatchStats['counts'][], number][] = [
    // [case, β_s, counts of successive batches, lesion factor after the last]
    ['one batch alone (β_s 0): 20 of 20 found, no shortfall', 0, [lesionMissed(12), lesionMissed(20)], 1],
    ['running counts (β_s 0.5): (0.5·12 + 0.5·20) / 20 = 0.8', 0.5, [lesionMissed(12), lesionMissed(20)], 1 + 2 * ((0.9 - 0.8) / 0.9)],
    ['a batch without lesions keeps the estimate (β_s 0.5)', 0.5, [lesionMissed(12), noLesion], 1 + 2 * lesionShortfall],
    ['a batch without lesions gives no estimate (β_s 0)', 0, [lesionMissed(12), noLesion], 1],
  ];
  for (const [name, beta, batches, want] of SMOOTHING) {
    it(`reads shortfalls from a smoothed estimate: ${name}`, () => {
      const s = strategy({ statisticsSmoothing: beta });
      batches.forEach((counts, step) => s.weights({ epoch: 0, step, losses: [1, 1, 1], batch: stats(counts) }));
      near([s.classWeights()[1][2]], [want], 1e-12);
      assert.deepEqual(s.history.at(-1)?.classWeights, s.classWeights(), 'every batch records its (loss, class) factors');
    });
  }

  it('continues the running estimate after a restore', () => {
    const a = strategy({ statisticsSmoothing: 0.5 });
    a.weights({ epoch: 0, step: 0, losses: [1, 1, 1], batch: stats(lesionMissed(12)) });
    const b = strategy({ statisticsSmoothing: 0.5 });
    b.restore(JSON.parse(JSON.stringify(a.state())));
    for (const s of [a, b]) s.weights({ epoch: 0, step: 1, losses: [1, 1, 1], batch: stats(lesionMissed(20)) });
    near(b.classWeights()[1], a.classWeights()[1], 0);
  });

  it('applies no presence boost when the rare class is absent', () => {
    const s = strategy();
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1, 1], batch: stats(noLesion, { foregroundFraction: 0.5 }) }), [1, 1, 1]);
  });

  it('keeps the base weights and unit class factors during warm-up and without batch statistics', () => {
    const s = new BatchAdaptiveStrategy(['dice', 'focal'], { sensitivityTargets: { '2': 0.9 }, controls: { warmupEpochs: 1 } });
    near(s.weights({ epoch: 0, step: 0, losses: [1, 1], batch: stats() }), [1, 1]);
    for (const row of s.classWeights()) near(row, [1, 1, 1]);
    near(s.weights({ epoch: 1, step: 1, losses: [1, 1] }), [1, 1]);
  });

  it('rejects a loss with no known role, and targets for classes the batch does not have', () => {
    assert.throws(() => new BatchAdaptiveStrategy(['hausdorff']), /no role for loss "hausdorff"/);
    assert.throws(() => new BatchAdaptiveStrategy(['dice'], { sensitivityTargets: { '5': 0.9 } }).weights({ epoch: 0, step: 0, losses: [1], batch: stats() }), /class 5 is configured but the batch has 3 classes/);
    assert.throws(() => new BatchAdaptiveStrategy(['dice'], { statisticsSmoothing: 1 }), /statisticsSmoothing/);
  });
});

describe('createFusionStrategy and state', () => {
  it('builds each strategy by name and rejects unknown ones with the field', () => {
    for (const strategy of ['static', 'dwa', 'gradnorm', 'batchAdaptive'] as const) assert.equal(createFusionStrategy(['dice', 'focal'], { strategy }).name, strategy);
    assert.throws(
      () => createFusionStrategy(['dice'], { strategy: 'magic' as 'static' }),
      (e: unknown) => e instanceof FusionOptionError && /strategy/.test(e.message),
    );
  });

  it('restores saved state, so a resumed run continues with the same weights', () => {
    const options = { lossSmoothing: 0.5, controls: { smoothing: 0.8 } };
    const a = new DwaStrategy(['a', 'b'], options);
    a.weights({ epoch: 0, step: 0, losses: [1, 2] });
    a.weights({ epoch: 0, step: 1, losses: [0.5, 2] });
    const b = new DwaStrategy(['a', 'b'], options);
    b.restore(JSON.parse(JSON.stringify(a.state())));
    near(b.weights({ epoch: 0, step: 2, losses: [0.4, 1.9] }), a.weights({ epoch: 0, step: 2, losses: [0.4, 1.9] }));
  });
});
