import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmBackend } from '../../src/backend/wasmBackend.js';
import { maxRelativeError, normals } from '../helpers.js';

type Case = { batch: number; h: number; w: number; cin: number; kh: number; kw: number; cout: number; stride: number; pad: 'same' | 'valid' };

// Strides 1 to 3, same and valid padding, odd sizes, 1 and many channels, 1x1 to 5x5 filters.
const CASES: Case[] = [
  { batch: 1, h: 5, w: 5, cin: 1, kh: 3, kw: 3, cout: 1, stride: 1, pad: 'same' },
  { batch: 2, h: 7, w: 6, cin: 3, kh: 3, kw: 3, cout: 4, stride: 2, pad: 'same' },
  { batch: 2, h: 8, w: 8, cin: 2, kh: 3, kw: 3, cout: 5, stride: 2, pad: 'valid' },
  { batch: 1, h: 9, w: 7, cin: 4, kh: 1, kw: 1, cout: 3, stride: 1, pad: 'valid' },
  { batch: 3, h: 6, w: 9, cin: 1, kh: 2, kw: 2, cout: 2, stride: 2, pad: 'valid' },
  { batch: 1, h: 11, w: 10, cin: 8, kh: 5, kw: 5, cout: 6, stride: 2, pad: 'same' },
  { batch: 2, h: 4, w: 4, cin: 16, kh: 3, kw: 3, cout: 16, stride: 1, pad: 'same' },
  { batch: 1, h: 13, w: 13, cin: 2, kh: 3, kw: 3, cout: 3, stride: 2, pad: 'valid' },
  { batch: 2, h: 16, w: 16, cin: 8, kh: 2, kw: 2, cout: 4, stride: 2, pad: 'same' },
  // Filter = stride, no padding: the input gradient takes the product-and-interleave path.
  { batch: 1, h: 9, w: 6, cin: 3, kh: 3, kw: 3, cout: 5, stride: 3, pad: 'valid' },
  { batch: 3, h: 4, w: 6, cin: 1, kh: 2, kw: 2, cout: 7, stride: 2, pad: 'valid' },
];

const data = normals;

/** Conv2D input and filter gradients for a fixed upstream gradient dy, on the current backend. */
function gradients(c: Case, x: Float32Array, w: Float32Array, seed: number) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.batch, c.h, c.w, c.cin]);
    const wt = tf.tensor4d(w, [c.kh, c.kw, c.cin, c.cout]);
    const outShape = tf.conv2d(xt, wt, c.stride, c.pad).shape;
    const dy = tf.tensor(
      data(
        outShape.reduce((a, b) => a * b, 1),
        seed,
      ),
      outShape,
    );
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([xt, wt]);
    return { dx: Float32Array.from(dx.dataSync()), dw: Float32Array.from(dw.dataSync()) };
  });
}

describe('wasm training kernels against the cpu backend', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  CASES.forEach((c, i) => {
    it(`${c.batch}x${c.h}x${c.w}x${c.cin} * ${c.kh}x${c.kw}x${c.cout}, stride ${c.stride}, ${c.pad}`, async () => {
      const x = data(c.batch * c.h * c.w * c.cin, 100 + i);
      const w = data(c.kh * c.kw * c.cin * c.cout, 200 + i);
      await tf.setBackend('cpu');
      const want = gradients(c, x, w, 300 + i);
      await useWasmBackend(2);
      const got = gradients(c, x, w, 300 + i);
      await tf.setBackend('cpu');
      assert.ok(maxRelativeError(got.dw, want.dw) < 1e-5, `filter gradient off by ${maxRelativeError(got.dw, want.dw)}`);
      assert.ok(maxRelativeError(got.dx, want.dx) < 1e-5, `input gradient off by ${maxRelativeError(got.dx, want.dx)}`);
    });
  });

  it('leaves no tensors behind in a gradient step', async () => {
    await useWasmBackend(2);
    const c = CASES[1];
    gradients(c, data(c.batch * c.h * c.w * c.cin, 1), data(c.kh * c.kw * c.cin * c.cout, 2), 3);
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    gradients(c, data(c.batch * c.h * c.w * c.cin, 1), data(c.kh * c.kw * c.cin * c.cout, 2), 3);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.memory().numBytes, bytes);
    await tf.setBackend('cpu');
  });

  it('clones by sharing the buffer: no bytes copied, each tensor outlives the other, strings still clone', async () => {
    await useWasmBackend(2);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor1d([1, 2, 3]);
    const ids = backend.numDataIds();
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    assert.equal(backend.numDataIds(), ids);
    assert.equal(tf.memory().numDataBuffers, buffers);
    x.dispose();
    assert.deepEqual([...y.dataSync()], [1, 2, 3]);
    y.dispose();
    assert.equal(backend.numDataIds(), ids - 1);
    const s = tf.tensor1d(['a', 'b'], 'string');
    const t = tf.clone(s);
    s.dispose();
    assert.deepEqual(t.dataSync(), ['a', 'b']);
    t.dispose();
    await tf.setBackend('cpu');
  });
});
