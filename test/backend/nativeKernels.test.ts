import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon, setNativeStrict } from '../../src/backend/nativeAddon.js';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { createFusionStrategy } from '../../src/fusion/registry.js';
import { createDiceLoss } from '../../src/losses/dice.js';
import { buildUNet } from '../../src/model/unet.js';
import { trainStep } from '../../src/train/trainStep.js';
import { maxRelativeError, normals } from '../helpers.js';

// The addon is built at npm ci wherever oneDNN's headers are; only a machine without them may skip.
const headers = fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');
const skip = headers ? false : 'libdnnl-dev is not installed, so @segfusion/native was not built';

type Conv = { batch: number; h: number; w: number; cin: number; kh: number; kw: number; cout: number; stride: [number, number]; pad: 'same' | 'valid' | [[number, number], [number, number]]; dilation?: number };

// Strides 1 to 3 (also unequal), same, valid and explicit padding, odd sizes, 1 to many channels, batch 1,
// 1x1 to 5x5 and non-square filters, a dilated forward.
const CONVS: Conv[] = [
  { batch: 1, h: 5, w: 5, cin: 1, kh: 3, kw: 3, cout: 1, stride: [1, 1], pad: 'same' },
  { batch: 2, h: 7, w: 6, cin: 3, kh: 3, kw: 3, cout: 4, stride: [2, 2], pad: 'same' },
  { batch: 2, h: 8, w: 8, cin: 2, kh: 3, kw: 3, cout: 5, stride: [2, 2], pad: 'valid' },
  { batch: 1, h: 9, w: 7, cin: 4, kh: 1, kw: 1, cout: 3, stride: [1, 1], pad: 'valid' },
  { batch: 3, h: 6, w: 9, cin: 1, kh: 2, kw: 2, cout: 2, stride: [2, 2], pad: 'valid' },
  { batch: 1, h: 11, w: 10, cin: 8, kh: 5, kw: 5, cout: 6, stride: [2, 2], pad: 'same' },
  { batch: 2, h: 4, w: 4, cin: 16, kh: 3, kw: 3, cout: 16, stride: [1, 1], pad: 'same' },
  { batch: 1, h: 13, w: 13, cin: 2, kh: 3, kw: 3, cout: 3, stride: [2, 2], pad: 'valid' },
  { batch: 1, h: 9, w: 6, cin: 3, kh: 3, kw: 3, cout: 5, stride: [3, 3], pad: 'valid' },
  { batch: 2, h: 10, w: 7, cin: 5, kh: 3, kw: 2, cout: 4, stride: [1, 2], pad: 'same' },
  {
    batch: 1,
    h: 8,
    w: 9,
    cin: 3,
    kh: 3,
    kw: 3,
    cout: 2,
    stride: [1, 1],
    pad: [
      [1, 2],
      [0, 1],
    ],
  },
  { batch: 2, h: 16, w: 16, cin: 16, kh: 3, kw: 3, cout: 32, stride: [1, 1], pad: 'same' },
];

const data = normals;

const padOf = (c: Conv) => (Array.isArray(c.pad) ? [[0, 0], ...c.pad, [0, 0]] : c.pad) as 'same';

/** Forward, fused (bias + relu) forward, and both gradients of a conv for a fixed upstream gradient, on the current backend. */
function conv(c: Conv, seed: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data(c.batch * c.h * c.w * c.cin, seed), [c.batch, c.h, c.w, c.cin]);
    const w = tf.tensor4d(data(c.kh * c.kw * c.cin * c.cout, seed + 1), [c.kh, c.kw, c.cin, c.cout]);
    const bias = tf.tensor1d(data(c.cout, seed + 2));
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, padOf(c));
    const y = f(x, w);
    const dilated = c.pad === 'same' && c.stride[0] === 1 && c.stride[1] === 1 ? tf.conv2d(x, w, 1, 'same', 'NHWC', 2) : y;
    const fused = tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: padOf(c), bias, activation: 'relu' });
    const dy = tf.tensor(data(y.size, seed + 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([x, w]);
    return [y, dilated, fused, dx, dw].map((t) => Float32Array.from(t.dataSync()));
  });
}

type Pool = { batch: number; h: number; w: number; ch: number; size: [number, number]; stride: [number, number]; pad: 'same' | 'valid' };
const POOLS: Pool[] = [
  { batch: 2, h: 8, w: 8, ch: 3, size: [2, 2], stride: [2, 2], pad: 'valid' },
  { batch: 1, h: 5, w: 7, ch: 2, size: [2, 2], stride: [2, 2], pad: 'same' },
  { batch: 2, h: 9, w: 9, ch: 4, size: [3, 3], stride: [2, 2], pad: 'same' },
  { batch: 1, h: 7, w: 6, ch: 1, size: [3, 2], stride: [1, 2], pad: 'valid' },
];

function pool(p: Pool, seed: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data(p.batch * p.h * p.w * p.ch, seed), [p.batch, p.h, p.w, p.ch]);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, p.size, p.stride, p.pad);
    const y = f(x);
    const dy = tf.tensor(data(y.size, seed + 1), y.shape);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy)))(x);
    return [y, dx].map((t) => Float32Array.from(t.dataSync()));
  });
}

/**
 * `run` on the cpu backend (the reference), then on wasm-native in strict mode (setNativeStrict), so
 * that a kernel oneDNN refuses fails the test instead of falling back to the wasm one.
 */
async function onCpuAndNative<T>(run: () => T): Promise<{ want: T; got: T }> {
  await tf.setBackend('cpu');
  const want = run();
  await selectBackend('wasm-native', { threads: 2 });
  setNativeStrict(true);
  try {
    return { want, got: run() };
  } finally {
    setNativeStrict(null);
    await tf.setBackend('cpu');
  }
}

describe('oneDNN kernels (wasm-native) against the cpu backend', { skip }, () => {
  it('loads, and reports oneDNN with its version, instruction set and threads', async () => {
    const { addon, reason } = loadNativeAddon();
    assert.ok(addon, `oneDNN's headers are installed but the addon did not load: ${reason}`);
    const report = await selectBackend('wasm-native', { threads: 2 });
    assert.equal(report.tfBackend, 'wasm');
    assert.equal(report.kernels?.provider, 'oneDNN');
    assert.match(report.kernels?.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(report.kernels?.threads, 2);
    await tf.setBackend('cpu');
  });

  CONVS.forEach((c, i) => {
    it(`conv ${c.batch}x${c.h}x${c.w}x${c.cin} * ${c.kh}x${c.kw}x${c.cout}, stride ${c.stride}, ${JSON.stringify(c.pad)}: forward, fused, both gradients`, async () => {
      const before = loadNativeAddon().addon?.info().cachedPrimitives ?? 0;
      const { want, got } = await onCpuAndNative(() => conv(c, 100 * i));
      ['forward', 'dilated forward', 'fused bias + relu', 'input gradient', 'filter gradient'].forEach((name, k) => {
        assert.ok(maxRelativeError(got[k], want[k]) < 1e-5, `${name} off by ${maxRelativeError(got[k], want[k])}`);
      });
      if (i === 0) assert.ok((loadNativeAddon().addon?.info().cachedPrimitives ?? 0) > before, 'the native kernels ran (new primitives were built)');
    });
  });

  POOLS.forEach((p, i) => {
    it(`max pool ${p.batch}x${p.h}x${p.w}x${p.ch}, ${p.size} stride ${p.stride} ${p.pad}: forward and gradient`, async () => {
      const { want, got } = await onCpuAndNative(() => pool(p, 50 + i));
      assert.ok(maxRelativeError(got[0], want[0]) === 0, 'max pool forward is exact');
      assert.ok(maxRelativeError(got[1], want[1]) < 1e-6, `max pool gradient off by ${maxRelativeError(got[1], want[1])}`);
    });
  });

  const CONV3D: { x: [number, number, number, number, number]; k: [number, number, number]; cout: number; stride: [number, number, number]; pad: 'same' | 'valid' }[] = [
    { x: [1, 5, 6, 7, 2], k: [3, 3, 3], cout: 3, stride: [1, 1, 1], pad: 'same' },
    { x: [2, 6, 5, 5, 3], k: [3, 2, 3], cout: 4, stride: [2, 1, 2], pad: 'same' },
    { x: [1, 7, 7, 6, 1], k: [2, 2, 2], cout: 2, stride: [2, 2, 2], pad: 'valid' },
  ];
  CONV3D.forEach((c, i) => {
    it(`conv3d ${c.x} * ${c.k}x${c.cout}, stride ${c.stride}, ${c.pad}: forward, both gradients; max pool 3D and its gradient`, async () => {
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor5d(
            data(
              c.x.reduce((a, b) => a * b, 1),
              60 + i,
            ),
            c.x,
          );
          const w = tf.tensor5d(data(c.k[0] * c.k[1] * c.k[2] * c.x[4] * c.cout, 70 + i), [...c.k, c.x[4], c.cout]);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.stride, c.pad);
          const y = f(x, w);
          const dy = tf.tensor(data(y.size, 80 + i), y.shape);
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([x, w]);
          const pool = (a: tf.Tensor) => tf.maxPool3d(a as tf.Tensor5D, 2, 2, c.pad);
          const p = pool(x);
          const dp = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a), tf.onesLike(p))))(x);
          return [y, dx, dw, p, dp].map((t) => Float32Array.from(t.dataSync()));
        });
      const { want, got } = await onCpuAndNative(run);
      ['forward', 'input gradient', 'filter gradient', 'max pool', 'max pool gradient'].forEach((name, k) => assert.ok(maxRelativeError(got[k], want[k]) < 1e-5, `${name} off by ${maxRelativeError(got[k], want[k])}`));
    });
  });

  it('concatenates and splits along the channels (and an outer axis) like the cpu backend, with memcpy rows', async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor4d(data(2 * 9 * 7 * 16, 21), [2, 9, 7, 16]);
        const b = tf.tensor4d(data(2 * 9 * 7 * 5, 22), [2, 9, 7, 5]);
        const joined = tf.concat([a, b], 3);
        const outer = tf.concat([a, a], 1);
        const [p, q, r] = tf.split(joined, [3, 13, 5], 3);
        return [joined, outer, p, q, r].map((t) => Float32Array.from(t.dataSync()));
      });
    const { want, got } = await onCpuAndNative(run);
    got.forEach((g, k) => assert.deepEqual(g, want[k], `output ${k}`));
  });

  it('normalises with given statistics (FusedBatchNorm, inference) like the cpu backend, with and without scale and offset', async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(data(2 * 5 * 7 * 6, 31), [2, 5, 7, 6]);
        const mean = tf.tensor1d(data(6, 32));
        const variance = tf.abs(tf.tensor1d(data(6, 33))) as tf.Tensor1D;
        const offset = tf.tensor1d(data(6, 34));
        const scale = tf.tensor1d(data(6, 35));
        return [tf.batchNorm(x, mean, variance, offset, scale, 1e-3), tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3), tf.batchNorm(tf.reshape(x, [70, 6]), mean, variance, offset, scale, 1e-3)].map((t) =>
          Float32Array.from(t.dataSync()),
        );
      });
    const { want, got } = await onCpuAndNative(run);
    got.forEach((g, k) => assert.ok(maxRelativeError(g, want[k]) < 1e-5, `case ${k} off by ${maxRelativeError(g, want[k])}`));
  });

  it('computes the transposed convolution (Conv2DBackpropInput as a forward op) like the cpu backend', async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(data(2 * 5 * 6 * 8, 7), [2, 5, 6, 8]);
        const w = tf.tensor4d(data(2 * 2 * 4 * 8, 8), [2, 2, 4, 8]);
        return Float32Array.from(tf.conv2dTranspose(x, w, [2, 10, 12, 4], 2, 'valid').dataSync());
      });
    const { want, got } = await onCpuAndNative(run);
    assert.ok(maxRelativeError(got, want) < 1e-5);
  });

  // 5 x 9 x 7 x 3 (serial loop) and 4 x 64 x 64 x 5 (above the 65,536 elements where the OpenMP pool joins).
  for (const shape of [
    [5, 9, 7, 3],
    [4, 64, 64, 5],
  ] as const) {
    it(`ReLU and softmax over the channels of ${shape.join('x')} like the cpu backend`, async () => {
      const run = () =>
        tf.tidy(() => {
          // Exact zeros too: ReLU keeps them, its gradient is 0 there.
          const x = tf.tensor4d(
            Float32Array.from(
              data(
                shape.reduce((a, b) => a * b, 1),
                90,
              ),
              (v, i) => (i % 17 === 0 ? 0 : v),
            ),
            [...shape],
          );
          return [tf.relu(x), tf.softmax(x)].map((t) => Float32Array.from(t.dataSync()));
        });
      const { want, got } = await onCpuAndNative(run);
      assert.deepEqual(got[0], want[0], 'ReLU is exact');
      assert.ok(maxRelativeError(got[1], want[1]) < 1e-6, `softmax off by ${maxRelativeError(got[1], want[1])}`);
    });
  }

  it('adds, subtracts and multiplies with equal shapes, scalars and per-channel vectors on either side, sums over the outer axes or all, and raises to a scalar power like the cpu backend', async () => {
    // 4 x 64 x 64 x 5 crosses the OpenMP threshold; 3 x 5 x 7 x 5 does not.
    const run = () =>
      tf.tidy(() => {
        const out: tf.Tensor[] = [];
        for (const shape of [
          [3, 5, 7, 5],
          [4, 64, 64, 5],
        ] as const) {
          const n = shape.reduce((a, b) => a * b, 1);
          const a = tf.tensor4d(data(n, 93), [...shape]);
          const b = tf.tensor4d(data(n, 94), [...shape]);
          const channel = tf.tensor4d(data(5, 95), [1, 1, 1, 5]);
          const vector = tf.tensor1d(data(5, 96));
          const scalar = tf.scalar(0.37);
          for (const f of [tf.add, tf.sub, tf.mul]) out.push(f(a, b), f(a, channel), f(channel, a), f(a, vector), f(vector, a), f(a, scalar), f(scalar, a));
          // Broadcasts the kernel leaves to wasm: along a middle axis, and both sides broadcasting.
          out.push(tf.add(a, tf.ones([1, shape[1], 1, 1])), tf.mul(tf.ones([shape[0], 1, 1, 5]), tf.ones([1, shape[1], shape[2], 1])));
          out.push(tf.sum(a, [0, 1, 2]), tf.sum(a, [2, 0, 1], true), tf.sum(a), tf.sum(a, undefined, true), tf.sum(a, 1), tf.sum(a, -1));
          out.push(tf.pow(tf.abs(a), tf.scalar(2)), tf.pow(tf.abs(a), tf.scalar(1.5)), tf.pow(a, tf.scalar(3)), tf.pow(tf.abs(a), b));
        }
        return out.map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) }));
      });
    const { want, got } = await onCpuAndNative(run);
    got.forEach((g, k) => {
      assert.deepEqual(g.shape, want[k].shape, `output ${k}: shape`);
      assert.ok(maxRelativeError(g.values, want[k].values) < 1e-5, `output ${k} off by ${maxRelativeError(g.values, want[k].values)}`);
    });
  });

  it("replaces ReLU's gradient with one native pass, bit for bit tfjs's dy * step(x) (zeros, NaN and signed zeros included), and gives it back", async () => {
    await selectBackend('wasm-native', { threads: 2 });
    const n = 4 * 64 * 64 * 5;
    const values = Float32Array.from(data(n, 91), (v, i) => (i % 13 === 0 ? 0 : i % 101 === 0 ? Number.NaN : v));
    const dyValues = Float32Array.from(data(n, 92), (v, i) => (i % 7 === 0 ? -0 : v));
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor1d(values);
        const dy = tf.tensor1d(dyValues);
        const native = tf.grad((a: tf.Tensor) => tf.relu(a))(x, dy);
        const stock = tf.mul(dy, tf.cast(tf.step(x), 'float32'));
        return [native, stock].map((t) => Float32Array.from(t.dataSync()));
      });
    const [native, stock] = run();
    assert.ok(
      native.every((v, i) => Object.is(v, stock[i])),
      'every element, signed zeros and NaN included, is tfjs stock gradient',
    );
    await selectBackend('wasm', { threads: 2 });
    const [plain, plainStock] = run();
    assert.ok(plain.every((v, i) => Object.is(v, plainStock[i])));
    await tf.setBackend('cpu');
  });

  it('trains deterministically for a fixed thread count: two runs of three U-Net steps give the same losses and weights', async () => {
    await selectBackend('wasm-native', { threads: 2 });
    const train = () => {
      const net = buildUNet({ classes: 3, inputSize: 32, depth: 2, baseFilters: 8 }, { seed: 5 });
      const losses = [{ name: 'dice', fn: createDiceLoss() }];
      const fusion = createFusionStrategy(['dice'], { strategy: 'static' });
      const optimizer = tf.train.adam(1e-2);
      const x = tf.tensor4d(data(2 * 32 * 32, 41), [2, 32, 32, 1]);
      const y = tf.tidy(
        () =>
          tf.reshape(
            tf.oneHot(
              tf.tensor1d(
                Int32Array.from(data(2 * 32 * 32, 42), (v) => (v > 0.5 ? 2 : v > -0.5 ? 1 : 0)),
                'int32',
              ),
              3,
            ),
            [2, 32, 32, 3],
          ) as tf.Tensor4D,
      );
      const steps = [0, 1, 2].map((s) => trainStep(net, losses, fusion, optimizer, x, y, 0, s).loss);
      const weights = net.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      tf.dispose([x, y]);
      optimizer.dispose();
      net.model.dispose();
      return { steps, weights };
    };
    const a = train();
    const b = train();
    assert.deepEqual(b.steps, a.steps);
    b.weights.forEach((w, i) => assert.deepEqual(w, a.weights[i], `weight ${i} differs`));
    assert.ok(a.steps[2] < a.steps[0], `the steps train: ${a.steps}`);
    await tf.setBackend('cpu');
  });

  it('leaves no tensors behind, gives the same result on every call, and plain wasm gets its own kernels back', async () => {
    await selectBackend('wasm-native', { threads: 2 });
    const c = CONVS[11];
    const first = conv(c, 9);
    const tensors = tf.memory().numTensors;
    const again = conv(c, 9);
    assert.equal(tf.memory().numTensors, tensors);
    again.forEach((a, k) => assert.deepEqual(a, first[k], `output ${k} differs between identical calls`));
    const primitives = loadNativeAddon().addon?.info().cachedPrimitives;
    await selectBackend('wasm', { threads: 2 });
    conv(CONVS[3], 11);
    assert.equal(loadNativeAddon().addon?.info().cachedPrimitives, primitives, 'plain wasm must not call oneDNN');
    await tf.setBackend('cpu');
  });
});
