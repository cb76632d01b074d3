import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmBackend } from '../../src/backend/wasmBackend.js';
import { Random } from '../../src/util/random.js';

type Case = { name: string; shape: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid'; ties: boolean };

// Tiling pools (the unrolled 2x2 path and the general loop), pools cut by 'same' padding (the stock wasm
// kernel drops the gradient of cut windows) and overlapping pools, whose gradients add up. Ties must go
// to the first maximum, as on the cpu backend.
const CASES: Case[] = [
  { name: '2x2 stride 2 (U-Net)', shape: [2, 6, 8, 5], size: 2, stride: 2, pad: 'valid', ties: true },
  { name: '2x2 stride 2, one channel', shape: [1, 4, 4, 1], size: 2, stride: 2, pad: 'same', ties: true },
  { name: '3x3 stride 3', shape: [2, 9, 6, 3], size: 3, stride: 3, pad: 'valid', ties: true },
  { name: '2x2 stride 2 on an odd size, same padding', shape: [1, 5, 7, 2], size: 2, stride: 2, pad: 'same', ties: true },
  { name: '3x3 stride 1, same padding (overlapping)', shape: [1, 6, 6, 2], size: 3, stride: 1, pad: 'same', ties: true },
  { name: '3x3 stride 2, valid (overlapping)', shape: [2, 7, 9, 3], size: 3, stride: 2, pad: 'valid', ties: false },
];

/**
 * With ties: ReLU-like values on a coarse grid, so many windows hold zeros or equal maxima, and a few
 * -Infinity. Without: distinct normal values.
 */
function input(c: Case, seed: number): Float32Array {
  const rng = new Random(seed);
  const n = c.shape.reduce((a, b) => a * b, 1);
  if (!c.ties) return Float32Array.from({ length: n }, () => rng.normal());
  return Float32Array.from({ length: n }, (_, i) => (i % 17 === 3 ? -Infinity : Math.max(0, Math.round(rng.normal() * 2) / 2)));
}

function poolGradient(c: Case, x: Float32Array, seed: number): Float32Array {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.shape);
    const outShape = tf.maxPool(xt, c.size, c.stride, c.pad).shape;
    const rng = new Random(seed);
    const dy = tf.tensor(
      Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      outShape,
    );
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), dy)))(xt);
    return Float32Array.from(dx.dataSync());
  });
}

describe('wasm MaxPoolGrad against the cpu backend', () => {
  CASES.forEach((c, i) => {
    it(`${c.name}: same gradient${c.ties ? ', ties to the first maximum' : ''}`, async () => {
      const x = input(c, 10 + i);
      await tf.setBackend('cpu');
      const want = poolGradient(c, x, 20 + i);
      await useWasmBackend(2);
      const got = poolGradient(c, x, 20 + i);
      await tf.setBackend('cpu');
      // Exact for tiling pools; overlapping ones add in float32 where cpu adds in float64 first.
      const worst = got.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k])), 0);
      assert.ok(worst <= 1e-6, `off by ${worst}`);
      if (c.stride === c.size) assert.deepEqual([...got], [...want]);
    });
  });
});
