import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { convFlops, ConvFlopsError } from '../../src/model/convFlops.js';
import { buildUNet } from '../../src/model/unet.js';

describe('convFlops', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('counts a conv and a transposed conv by hand', () => {
    const input = tf.input({ shape: [null, null, 2] as unknown as number[] });
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'valid' }).apply(input) as tf.SymbolicTensor;
    const up = tf.layers.conv2dTranspose({ filters: 5, kernelSize: 2, strides: 2 }).apply(conv) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: up });
    // conv: 2 · 4 (batch) · 6·6 (output) · 3·3·2·3 = 15552; transposed: 2 · 4 · 6·6 (input) · 2·2·3·5 = 17280.
    const got = convFlops(model, [4, 8, 8, 2]);
    assert.equal(got.forward, 15552 + 17280);
    // Filter gradients for both, input gradient only for the transposed conv (the first conv reads the input).
    assert.equal(got.training, 2 * (15552 + 17280) + 17280);
    model.dispose();
  });

  it('gives the reference U-Net of bench:train the analytically derived count', () => {
    const net = buildUNet({ classes: 3, inputSize: 128, depth: 4, baseFilters: 16 });
    // Counted level by level by hand in fixtures/unet_flops.py.
    const got = convFlops(net.model, [8, 128, 128, 1]);
    assert.equal(got.forward, 12_062_818_304);
    assert.equal(got.training, 36_150_706_176);
    net.model.dispose();
  });

  it('rejects a model with two inputs', () => {
    const a = tf.input({ shape: [4, 4, 1] });
    const b = tf.input({ shape: [4, 4, 1] });
    const model = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    assert.throws(
      () => convFlops(model, [1, 4, 4, 1]),
      (e: unknown) => e instanceof ConvFlopsError && /one input, got 2/.test(e.message),
    );
  });
});
