import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { batchNormalization } from '../../src/model/batchNormalization.js';
import { batchNormTraining } from '../../src/model/batchNormTraining.js';
import { Random } from '../../src/util/random.js';

interface Outcome {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** tfjs-layers' formulation: moments() then batchNorm, differentiated by tfjs's autodiff. */
function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor, eps: number): Outcome {
  return tf.tidy(() => {
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(a, axes);
      return tf.sum(tf.mul(tf.batchNorm(a, m.mean, m.variance, b as tf.Tensor1D, g as tf.Tensor1D, eps), dy));
    };
    const [dx, dgamma, dbeta] = tf.grads(f)([x, gamma, beta]);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, eps);
    return {
      y: y.dataSync() as Float32Array,
      mean: mean.dataSync() as Float32Array,
      variance: variance.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dgamma: dgamma.dataSync() as Float32Array,
      dbeta: dbeta.dataSync() as Float32Array,
    };
  });
}

function fused(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor, eps: number): Outcome {
  return tf.tidy(() => {
    const r = batchNormTraining(x, gamma, beta, eps);
    const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, eps).y, dy)))([x, gamma, beta]);
    return {
      y: r.y.dataSync() as Float32Array,
      mean: r.mean.dataSync() as Float32Array,
      variance: r.variance.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dgamma: dgamma.dataSync() as Float32Array,
      dbeta: dbeta.dataSync() as Float32Array,
    };
  });
}

function assertClose(got: Outcome, want: Outcome, tol: number, label: string): void {
  for (const key of Object.keys(want) as (keyof Outcome)[]) {
    assert.equal(got[key].length, want[key].length, `${label} ${key} length`);
    let scale = 1;
    for (const v of want[key]) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < want[key].length; i++) {
      assert.ok(Number.isFinite(got[key][i]), `${label} ${key}[${i}] is ${got[key][i]}`);
      assert.ok(Math.abs(got[key][i] - want[key][i]) <= tol * scale, `${label} ${key}[${i}]: ${got[key][i]} vs ${want[key][i]}`);
    }
  }
}

// Odd sizes, one and many channels, rank 2 and 4, a channel offset far from zero.
const CASES: { shape: number[]; shift: number }[] = [
  { shape: [2, 3, 4, 5], shift: 0 },
  { shape: [1, 7, 5, 1], shift: 3 },
  { shape: [4, 6, 6, 16], shift: -2 },
  { shape: [9, 3], shift: 10 },
];

function inputs(shape: number[], shift: number, seed: number) {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const c = shape[shape.length - 1];
  return {
    x: tf.tensor(
      Array.from({ length: n }, () => rng.normal() * 2 + shift),
      shape,
    ),
    dy: tf.tensor(
      Array.from({ length: n }, () => rng.normal()),
      shape,
    ),
    gamma: tf.tensor1d(Array.from({ length: c }, () => rng.uniform(0.5, 1.5))),
    beta: tf.tensor1d(Array.from({ length: c }, () => rng.normal())),
  };
}

// wasm-native (oneDNN's batch normalisation) wherever the addon can have been built.
const BACKENDS = ['cpu', 'wasm', ...(fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') ? (['wasm-native'] as const) : [])] as const;

describe('batchNormTraining', () => {
  for (const backend of BACKENDS) {
    CASES.forEach(({ shape, shift }, i) => {
      it(`on ${backend}: y, μ, σ² and ∂x, ∂γ, ∂β match the autodiff of moments + batchNorm on cpu, x [${shape}]`, async () => {
        await selectBackend('cpu');
        const cpu = inputs(shape, shift, 10 + i);
        const want = reference(cpu.x, cpu.gamma, cpu.beta, cpu.dy, 1e-3);
        await selectBackend(backend);
        const on = inputs(shape, shift, 10 + i);
        assertClose(fused(on.x, on.gamma, on.beta, on.dy, 1e-3), want, 2e-4, backend);
        tf.dispose([cpu.x, cpu.dy, cpu.gamma, cpu.beta, on.x, on.dy, on.gamma, on.beta]);
      });
    });
  }

  for (const backend of BACKENDS)
    it(`on ${backend}: maps a constant channel to β with finite gradients (σ² = 0, limit case)`, async () => {
      await selectBackend(backend);
      const x = tf.tensor4d([5, 1, 5, 2, 5, 3, 5, 4], [1, 2, 2, 2]);
      const dy = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
      const got = fused(x, tf.tensor1d([2, 1]), tf.tensor1d([0.5, 0]), dy, 1e-5);
      assert.deepEqual([got.y[0], got.y[2], got.y[4], got.y[6]], [0.5, 0.5, 0.5, 0.5]);
      assert.ok([...got.dx].every(Number.isFinite));
      assert.equal(got.variance[0], 0);
    });

  it('rejects γ with the wrong number of channels, saying the shapes', async () => {
    await selectBackend('cpu');
    assert.throws(() => batchNormTraining(tf.zeros([2, 3]), tf.ones([2]), tf.zeros([3]), 1e-3), /gamma \[2\].*3 entries.*x \[2,3\]/);
  });
});

describe('batchNormalization layer', () => {
  it('trains like tfjs-layers BatchNormalization (output, moving statistics, gradients) and serialises as it', async () => {
    await selectBackend('cpu');
    const args = { axis: -1, momentum: 0.9, name: 'bn' };
    const ours = batchNormalization(args);
    const stock = tf.layers.batchNormalization(args);
    const { x, dy } = inputs([3, 4, 4, 6], 1, 99);
    ours.build(x.shape);
    stock.build(x.shape);
    stock.setWeights(ours.getWeights());
    const run = (layer: tf.layers.Layer) =>
      tf.tidy(() => {
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar, vars);
        return [value, ...vars.map((v) => grads[v.name]), ...layer.getWeights().slice(2)].map((t) => Array.from(t.dataSync()));
      });
    const a = run(ours);
    const b = run(stock);
    a.forEach((values, k) => values.forEach((v, i) => assert.ok(Math.abs(v - b[k][i]) <= 2e-4 * Math.max(1, Math.abs(b[k][i])), `output ${k}[${i}]: ${v} vs ${b[k][i]}`)));
    assert.equal(ours.getClassName(), 'BatchNormalization');
    const inference = (layer: tf.layers.Layer) => Array.from((layer.apply(x) as tf.Tensor).dataSync());
    assert.deepEqual(inference(ours), inference(stock));
  });
});
