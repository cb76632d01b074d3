import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmBackend } from '../../src/backend/wasmBackend.js';
import { Random } from '../../src/util/random.js';

type Case = { name: string; shapes: number[][]; axis: number };

// Channel concatenation as in U-Net's skips (narrow rows, the loop) and wide rows (the set() path, >= 256
// floats), a middle axis, a negative axis, three parts, and an empty part.
const CASES: Case[] = [
  {
    name: 'channels of a skip connection',
    shapes: [
      [2, 5, 6, 16],
      [2, 5, 6, 16],
    ],
    axis: 3,
  },
  {
    name: 'unequal channels, negative axis',
    shapes: [
      [3, 4, 3],
      [3, 4, 5],
      [3, 4, 1],
    ],
    axis: -1,
  },
  {
    name: 'a middle axis with wide rows',
    shapes: [
      [2, 3, 300],
      [2, 5, 300],
    ],
    axis: 1,
  },
  {
    name: 'the first axis',
    shapes: [
      [2, 3],
      [4, 3],
    ],
    axis: 0,
  },
  {
    name: 'an empty part',
    shapes: [
      [2, 0, 4],
      [2, 3, 4],
    ],
    axis: 1,
  },
];

function values(shape: number[], seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

/** Concatenates the parts, then splits the concatenation back; returns both, read from the backend. */
function roundTrip(c: Case) {
  return tf.tidy(() => {
    const parts = c.shapes.map((s, i) => tf.tensor(values(s, 10 + i), s));
    const joined = tf.concat(parts, c.axis);
    const split = tf.split(
      joined,
      c.shapes.map((s) => s.at(c.axis)!),
      c.axis,
    );
    return { joined: { shape: joined.shape, data: [...joined.dataSync()] }, split: split.map((t) => ({ shape: t.shape, data: [...t.dataSync()] })) };
  });
}

describe('wasm Concat and SplitV against the cpu backend', () => {
  CASES.forEach((c) => {
    it(`${c.name}: same values and shapes, and the split returns the parts`, async () => {
      await tf.setBackend('cpu');
      const want = roundTrip(c);
      await useWasmBackend(2);
      const got = roundTrip(c);
      await tf.setBackend('cpu');
      assert.deepEqual(got, want);
      got.split.forEach((part, i) => assert.deepEqual(part.data, [...values(c.shapes[i], 10 + i)]));
    });
  });

  it('gives the gradient of a concatenation (SplitV) as on cpu', async () => {
    const grads = () =>
      tf.tidy(() => {
        const a = tf.tensor(values([2, 4, 4, 3], 1), [2, 4, 4, 3]);
        const b = tf.tensor(values([2, 4, 4, 5], 2), [2, 4, 4, 5]);
        const w = tf.tensor(values([2, 4, 4, 8], 3), [2, 4, 4, 8]);
        return tf
          .grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat([x, y], 3), w)))([a, b])
          .map((g) => [...g.dataSync()]);
      });
    await tf.setBackend('cpu');
    const want = grads();
    await useWasmBackend(2);
    const got = grads();
    await tf.setBackend('cpu');
    assert.deepEqual(got, want);
  });
});
