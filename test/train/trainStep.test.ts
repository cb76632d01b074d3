import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { createFusionStrategy } from '../../src/fusion/registry.js';
import { createDiceLoss } from '../../src/losses/dice.js';
import { createFocalLoss } from '../../src/losses/focal.js';
import { createSensitivitySpecificityLoss } from '../../src/losses/sensitivitySpecificity.js';
import { buildUNet } from '../../src/model/unet.js';
import { batchStats } from '../../src/train/batchStats.js';
import { trainStep } from '../../src/train/trainStep.js';

/** A batch with a square "organ" and a small "lesion" in it, on a noisy background. */
function batch(size: number, n: number) {
  return tf.tidy(() => {
    const labels = new Int32Array(n * size * size);
    const image = new Float32Array(labels.length);
    for (let b = 0; b < n; b++)
      for (let j = 0; j < size; j++)
        for (let i = 0; i < size; i++) {
          const v = b * size * size + j * size + i;
          const organ = i > size / 4 && i < (3 * size) / 4 && j > size / 4 && j < (3 * size) / 4;
          const lesion = organ && Math.abs(i - size / 2 - b) < 2 && Math.abs(j - size / 2) < 2;
          labels[v] = lesion ? 2 : organ ? 1 : 0;
          image[v] = (lesion ? 2 : organ ? 1 : 0) + Math.sin(v * 12.9898) * 0.1;
        }
    return {
      x: tf.tensor4d(image, [n, size, size, 1]),
      y: tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), [n, size, size, 3]) as tf.Tensor4D,
    };
  });
}

describe('trainStep on the wasm backend', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const strategy of ['static', 'uncertainty', 'dwa', 'gradnorm', 'batchAdaptive'] as const) {
    it(`runs ${strategy} end to end: finite losses, recorded weights, no leaked tensors`, () => {
      const net = buildUNet({ classes: 3, inputSize: 16, depth: 2, baseFilters: 4 });
      const losses = [
        { name: 'dice', fn: createDiceLoss() },
        { name: 'focal', fn: createFocalLoss() },
        { name: 'sensitivitySpecificity', fn: createSensitivitySpecificityLoss({ r: 0.5 }) },
      ];
      const fusion = createFusionStrategy(
        losses.map((l) => l.name),
        { strategy, options: strategy === 'batchAdaptive' ? { sensitivityTargets: { '2': 0.9 } } : {} },
      );
      const optimizer = tf.train.adam(1e-2);
      const { x, y } = batch(16, 2);
      trainStep(net, losses, fusion, optimizer, x, y, 0, 0);
      const tensors = tf.memory().numTensors;
      const results = [1, 2, 3].map((s) => trainStep(net, losses, fusion, optimizer, x, y, 0, s));
      assert.equal(tf.memory().numTensors, tensors, 'a step must leave tf.memory().numTensors unchanged');
      for (const r of results) {
        assert.ok(Number.isFinite(r.loss) && r.terms.every(Number.isFinite), JSON.stringify(r));
        assert.equal(r.weights.length, 3);
      }
      assert.equal(fusion.history.length, 4);
      assert.ok(results[2].terms[0] < results[0].terms[0] + 1e-6 || results[2].loss < results[0].loss, `training should not diverge: ${results.map((r) => r.loss)}`);
      tf.dispose([x, y]);
      optimizer.dispose();
      net.model.dispose();
    });
  }

  it('minimises Σ_i w_i Σ_c m_ic L_ic when the strategy weights (loss, class) pairs', () => {
    // Seeded: an unseeded net now and then starts out painting every lesion voxel, and then no term is raised.
    const net = buildUNet({ classes: 3, inputSize: 16, depth: 2, baseFilters: 4 }, { seed: 11 });
    const losses = [
      { name: 'dice', fn: createDiceLoss() },
      { name: 'focal', fn: createFocalLoss() },
    ];
    const fusion = createFusionStrategy(['dice', 'focal'], { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.99 }, statisticsSmoothing: 0 } });
    const { x, y } = batch(16, 2);
    // The same forward pass the step takes (no dropout), before its update.
    const perClass = tf.tidy(() => {
      const p = net.model.apply(x, { training: true }) as tf.Tensor4D;
      return losses.map((l) => Array.from(l.fn(y, p).perClass.dataSync()));
    });
    const optimizer = tf.train.adam(1e-3);
    const r = trainStep(net, losses, fusion, optimizer, x, y, 0, 0);
    assert.ok(r.classWeights, 'batchAdaptive returns its (loss, class) factors');
    assert.ok(r.classWeights[1][2] > 1, `an untrained net misses lesion voxels, so the focal lesion term is raised: ${JSON.stringify(r.classWeights)}`);
    const want = perClass.reduce((sum, terms, i) => sum + r.weights[i] * terms.reduce((a, t, c) => a + (r.classWeights as number[][])[i][c] * t, 0), 0);
    assert.ok(Math.abs(r.loss - want) < 1e-5, `fused ${r.loss} vs hand-summed ${want}`);
    assert.ok(Math.abs(r.loss - r.terms.reduce((a, t, i) => a + r.weights[i] * t, 0)) > 1e-4, 'differs from the per-loss sum, or the test could not fail');
    tf.dispose([x, y]);
    optimizer.dispose();
    net.model.dispose();
  });

  it('measures batch statistics by hand: 1 of 2 lesion voxels found', () => {
    const yTrue = tf.tensor4d([1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0], [1, 2, 2, 3]);
    const yPred = tf.tensor4d([0.9, 0.05, 0.05, 0.1, 0.1, 0.8, 0.2, 0.7, 0.1, 0.1, 0.8, 0.1], [1, 2, 2, 3]);
    const s = batchStats(yTrue, yPred);
    assert.equal(s.foregroundFraction, 0.75);
    assert.deepEqual(s.classPresent, [true, true, true]);
    // class 2: truth at voxels 1 and 2, predicted at voxel 1 only -> sensitivity 0.5
    assert.deepEqual(s.sensitivity, [1, 1, 0.5]);
    // class 1: negatives are voxels 0, 1, 2; voxel 2 predicted as class 1 -> specificity 2/3
    assert.deepEqual(s.specificity, [1, 2 / 3, 1]);
    assert.deepEqual(s.counts, { truePositives: [1, 1, 1], groundTruth: [1, 1, 2], predicted: [1, 2, 1] });
    tf.dispose([yTrue, yPred]);
  });
});
