import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { NATIVE_ADAM } from '../../src/backend/nativeKernels.js';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { createAdam } from '../../src/train/adam.js';
import { normals } from '../helpers.js';

const skip = fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') ? false : 'libdnnl-dev is not installed, so @segfusion/native was not built';

/**
 * Three steps of `optimizer` on three variables (one above the 65,536 elements where the kernel's
 * OpenMP pool joins; the last gets no gradient in step 2), with fixed gradients whose scale changes
 * each step; returns the variables and the optimizer's weights (iterations, moments) as float32 bits.
 */
async function threeSteps(optimizer: tf.Optimizer, tag: string) {
  const shapes = [[3, 3, 4, 8], [70000], [5]];
  const vars = shapes.map((shape, i) =>
    tf.variable(
      tf.tensor(
        normals(
          shape.reduce((a, b) => a * b, 1),
          10 + i,
        ),
        shape,
      ),
      true,
      `${tag}_w${i}`,
    ),
  );
  for (let step = 0; step < 3; step++) {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => {
      // Large and tiny gradients, so that both moments and epsilon matter.
      if (!(step === 1 && i === 2)) grads[v.name] = tf.mul(tf.tensor(normals(v.size, 100 * step + i), v.shape), step === 2 ? 1e-4 : 3);
    });
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const values = vars.map((v) => Float32Array.from(v.dataSync()));
  const state = (await optimizer.getWeights()).map((w) => ({ name: w.name.replace(`${tag}_`, ''), bits: Float32Array.from(w.tensor.dataSync()) }));
  tf.disposeVariables();
  return { values, state };
}

describe('Adam fused into one native kernel per variable', { skip }, () => {
  after(() => tf.setBackend('cpu'));

  it("gives tfjs's Adam bit for bit: weights, both moments and the step count, over three steps with a missing gradient", async () => {
    await selectBackend('wasm-native', { threads: 2 });
    const stock = await threeSteps(tf.train.adam(2e-3), 'stock');
    let fused = stock;
    // The fused kernel's calls are counted: the comparison must not pass by falling back to tfjs's step.
    const profile = await tf.profile(async () => {
      fused = await threeSteps(createAdam(2e-3), 'fused');
    });
    assert.equal(profile.kernels.filter((k) => k.name === NATIVE_ADAM).length, 3 + 2 + 3, 'one call per variable and step with a gradient');
    stock.values.forEach((want, i) => assert.deepEqual(fused.values[i], want, `variable ${i}`));
    assert.deepEqual(
      fused.state.map((s) => s.name),
      stock.state.map((s) => s.name),
    );
    stock.state.forEach((want, i) => assert.deepEqual(fused.state[i].bits, want.bits, `optimizer weight ${want.name}`));
  });

  it("is tfjs's own step where the native kernels are not registered (plain wasm, cpu)", async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      if (backend === 'wasm') await selectBackend('wasm', { threads: 2 });
      else await tf.setBackend('cpu');
      const stock = await threeSteps(tf.train.adam(2e-3), `${backend}_stock`);
      let fused = stock;
      const profile = await tf.profile(async () => {
        fused = await threeSteps(createAdam(2e-3), `${backend}_fused`);
      });
      assert.equal(profile.kernels.filter((k) => k.name === NATIVE_ADAM).length, 0);
      stock.values.forEach((want, i) => assert.deepEqual(fused.values[i], want, `${backend}: variable ${i}`));
    }
  });
});
