import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerBatchNormGradient } from '../../src/backend/batchNormGradient.js';
import { Random } from '../../src/util/random.js';

/** The same function written with elementwise ops, whose gradients come from other kernels' autodiff. */
const manual = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, eps: number) => tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), scale), offset);

describe('FusedBatchNorm gradient without Tile', () => {
  before(async () => {
    await tf.setBackend('cpu');
    registerBatchNormGradient();
  });

  const SHAPES: [number, number, number, number][] = [
    [2, 3, 4, 5],
    [1, 7, 5, 1],
    [4, 2, 2, 16],
  ];
  for (const shape of SHAPES) {
    it(`matches autodiff of the elementwise formula for x ${JSON.stringify(shape)}`, () => {
      const rng = new Random(shape.reduce((a, b) => a * 7 + b, 1));
      const c = shape[3];
      const rand = (n: number, scale = 1, shift = 0) => Array.from({ length: n }, () => rng.normal() * scale + shift);
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(rand(n), shape);
      const dy = tf.tensor4d(rand(n), shape);
      const params = [tf.tensor1d(rand(c, 0.5)), tf.tensor1d(rand(c, 0.2, 1.5).map(Math.abs)), tf.tensor1d(rand(c, 0.3, 1)), tf.tensor1d(rand(c))];
      const eps = 1e-3;
      const fused = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, eps), dy)));
      const reference = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(manual(a, m, v, s, o, eps), dy)));
      const inputs = [x, params[0], params[1], params[2], params[3]];
      const got = fused(inputs);
      const want = reference(inputs);
      ['x', 'mean', 'variance', 'scale', 'offset'].forEach((name, i) => {
        const g = got[i].dataSync();
        const w = want[i].dataSync();
        assert.deepEqual(got[i].shape, want[i].shape, name);
        for (let k = 0; k < w.length; k++) assert.ok(Math.abs(g[k] - w[k]) <= 1e-4 * Math.max(1, Math.abs(w[k])), `${name}[${k}]: ${g[k]} vs ${w[k]}`);
      });
    });
  }
});
