import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { createDiceLoss } from '../../src/losses/dice.js';
import { createFocalLoss } from '../../src/losses/focal.js';
import { buildUNet, ModelConfigError } from '../../src/model/unet.js';
import { Random } from '../../src/util/random.js';

describe('U-Net', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('has the reference model size of the PyTorch twin (scripts/bench_train_torch.py)', () => {
    const net = buildUNet({ classes: 3, inputSize: 128, depth: 4, baseFilters: 16 });
    assert.equal(net.parameters, 1942323);
    net.model.dispose();
  });

  it('takes k adjacent slices as channels and returns per-pixel class probabilities', () => {
    const net = buildUNet({ classes: 4, inputSize: 16, depth: 2, baseFilters: 4, inputSlices: 3, normalization: 'instance', dropout: 0.2 });
    const y = tf.tidy(() => {
      const p = net.model.predict(tf.randomNormal([2, 16, 16, 3])) as tf.Tensor;
      return { shape: p.shape, sums: tf.sum(p, -1).dataSync() };
    });
    assert.deepEqual(y.shape, [2, 16, 16, 4]);
    assert.ok([...y.sums].every((s) => Math.abs(s - 1) < 1e-5));
    net.model.dispose();
  });

  const BAD: [string, Record<string, unknown>, RegExp][] = [
    ['an even number of input slices', { classes: 3, inputSlices: 2 }, /inputSlices must be odd/],
    ['an input size not divisible by 2^depth', { classes: 3, inputSize: 100, depth: 3 }, /inputSize 100 must be divisible by 2\^depth = 8/],
    ['a single class', { classes: 1 }, /classes/],
  ];
  for (const [name, config, pattern] of BAD) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => buildUNet(config as never),
        (e: unknown) => e instanceof ModelConfigError && pattern.test(e.message),
      ));
  }

  /** Loss and trainable variables of a tiny model on a fixed batch, with deterministic weights. */
  function tinyProblem(normalization: 'batch' | 'none') {
    const net = buildUNet({ classes: 3, inputSize: 8, depth: 1, baseFilters: 3, normalization });
    const rngW = new Random(3);
    for (const w of net.model.trainableWeights) {
      const v = w.read();
      const values = /gamma/.test(w.name) ? Array(v.size).fill(1) : /beta|bias/.test(w.name) ? Array(v.size).fill(0) : Array.from({ length: v.size }, () => rngW.normal() * 0.5);
      w.write(tf.tensor(values, v.shape));
    }
    const rng = new Random(11);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 8 * 8 }, () => rng.normal()),
      [2, 8, 8, 1],
    );
    const labels = Array.from({ length: 2 * 8 * 8 }, () => rng.int(0, 2));
    const yTrue = tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), [2, 8, 8, 3]) as tf.Tensor4D;
    const dice = createDiceLoss();
    const focal = createFocalLoss();
    const loss = () =>
      tf.tidy(() => {
        const p = net.model.apply(x, { training: true }) as tf.Tensor4D;
        return tf.add(dice(yTrue, p).loss, focal(yTrue, p).loss) as tf.Scalar;
      });
    const variables = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const gradients = () => {
      const { value, grads } = tf.variableGrads(loss, variables);
      value.dispose();
      const out = variables.map((v) => Float32Array.from(grads[v.name].dataSync()));
      tf.dispose(Object.values(grads));
      return out;
    };
    return { net, x, yTrue, loss, variables, gradients };
  }

  // The wasm kernels, and oneDNN's (wasm-native) wherever the addon can have been built.
  const WASM = ['wasm', ...(fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') ? (['wasm-native'] as const) : [])] as const;

  for (const backend of WASM)
    it(`has whole-model gradients through the ${backend} kernels that agree with finite differences`, async () => {
      await selectBackend(backend);
      const p = tinyProblem('none');
      const g = p.gradients();
      let checked = 0;
      p.variables.forEach((v, vi) => {
        if (!/kernel/.test(v.name)) return;
        const original = Float32Array.from(v.dataSync());
        for (const idx of [0, Math.floor(original.length / 2), original.length - 1]) {
          const eps = 1e-3;
          const at = (delta: number) => {
            const values = original.slice();
            values[idx] += delta;
            v.assign(tf.tensor(values, v.shape));
            return p.loss().dataSync()[0];
          };
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          v.assign(tf.tensor(original, v.shape));
          // float32 central differences near ReLU kinks scatter by ~1e-3; a wrong kernel is off by far more.
          assert.ok(Math.abs(fd - g[vi][idx]) <= 0.05 * Math.abs(fd) + 2e-3, `${v.name}[${idx}]: autodiff ${g[vi][idx]} vs finite differences ${fd}`);
          checked++;
        }
      });
      assert.ok(checked >= 12, `checked ${checked} weights`);
      tf.dispose([p.x, p.yTrue]);
      p.net.model.dispose();
      await selectBackend('wasm');
    });

  for (const backend of WASM)
    it(`has the same whole-model gradients (batch norm included) on ${backend} as on the cpu backend`, async () => {
      const onBackend = async (name: 'wasm' | 'wasm-native' | 'cpu') => {
        await selectBackend(name);
        const p = tinyProblem('batch');
        const g = p.gradients();
        tf.dispose([p.x, p.yTrue]);
        p.net.model.dispose();
        return g;
      };
      const cpu = await onBackend('cpu');
      const wasm = await onBackend(backend);
      cpu.forEach((c, vi) => c.forEach((v, i) => assert.ok(Math.abs(wasm[vi][i] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `variable ${vi}[${i}]: ${backend} ${wasm[vi][i]} vs cpu ${v}`)));
      await selectBackend('wasm');
    });
});
