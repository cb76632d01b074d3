import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { lossGradientNorms } from '../../src/fusion/gradientNorms.js';
import { createCrossEntropyLoss } from '../../src/losses/crossEntropy.js';
import { createDiceLoss } from '../../src/losses/dice.js';
import { Random } from '../../src/util/random.js';

describe('lossGradientNorms (GradNorm) against finite differences', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('matches central differences on a tiny softmax model for Dice and cross-entropy', () => {
    const rng = new Random(5);
    const [b, h, w, cin, classes] = [2, 3, 3, 2, 3];
    const x = tf.tensor4d(
      Array.from({ length: b * h * w * cin }, () => rng.normal()),
      [b, h, w, cin],
    );
    const labels = Array.from({ length: b * h * w }, () => rng.int(0, classes - 1));
    const yTrue = tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), [b, h, w, classes]) as tf.Tensor4D;
    const wInit = Array.from({ length: cin * classes }, () => rng.normal() * 0.5);
    const shared = tf.variable(tf.tensor2d(wInit, [cin, classes]), true, 'gradnorm_test_shared');
    const forward = (W: tf.Tensor2D) => tf.softmax(tf.reshape(tf.matMul(tf.reshape(x, [-1, cin]), W), [b, h, w, classes])) as tf.Tensor4D;
    const lossFns = [createDiceLoss({ includeBackground: true }), createCrossEntropyLoss()];
    const got = lossGradientNorms(
      lossFns.map((f) => () => f(yTrue, forward(shared)).loss),
      shared,
    );
    const eps = 1e-3;
    lossFns.forEach((f, li) => {
      let sq = 0;
      for (let p = 0; p < wInit.length; p++) {
        const at = (delta: number) =>
          tf.tidy(() => {
            const vals = [...wInit];
            vals[p] += delta;
            return f(yTrue, forward(tf.tensor2d(vals, [cin, classes]))).loss.dataSync()[0];
          });
        sq += ((at(eps) - at(-eps)) / (2 * eps)) ** 2;
      }
      const want = Math.sqrt(sq);
      assert.ok(Math.abs(got[li] - want) / want < 2e-2, `loss ${li}: autodiff ${got[li]} vs finite differences ${want}`);
    });
    shared.dispose();
  });
});
