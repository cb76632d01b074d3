import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createCrossEntropyLoss } from '../../src/losses/crossEntropy.js';
import { createDiceLoss } from '../../src/losses/dice.js';
import { createFocalLoss } from '../../src/losses/focal.js';
import { createSensitivitySpecificityLoss } from '../../src/losses/sensitivitySpecificity.js';
import { createTverskyLoss } from '../../src/losses/tversky.js';
import { LossOptionError, LossShapeError, type LossFn } from '../../src/losses/types.js';

// Reference values from PyTorch: test/losses/fixtures/make_loss_fixtures.py wrote losses.json.
interface Fixture {
  cases: { shape: [number, number, number, number]; yTrue: number[]; yPred: number[]; expected: { loss: string; options: Record<string, unknown>; perClass: number[]; value: number }[] }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'losses.json'), 'utf8')) as Fixture;

const FACTORIES: Record<string, (o: Record<string, unknown>) => LossFn> = {
  dice: createDiceLoss,
  crossEntropy: createCrossEntropyLoss,
  focal: createFocalLoss,
  tversky: createTverskyLoss,
  sensitivitySpecificity: createSensitivitySpecificityLoss,
};

/** float32 arithmetic against float64 references. */
const TOLERANCE = 2e-5;

function evaluate(fn: LossFn, yTrue: tf.Tensor4D, yPred: tf.Tensor4D) {
  const r = fn(yTrue, yPred);
  const out = { value: r.loss.dataSync()[0], perClass: [...r.perClass.dataSync()] };
  r.loss.dispose();
  r.perClass.dispose();
  return out;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b)), `${what}: ${a} vs reference ${b}`);

describe('losses against PyTorch references', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  fixture.cases.forEach((c, ci) => {
    for (const e of c.expected) {
      it(`case ${ci} ${JSON.stringify(c.shape)}: ${e.loss} ${JSON.stringify(e.options)}`, () => {
        const yTrue = tf.tensor4d(c.yTrue, c.shape);
        const yPred = tf.tensor4d(c.yPred, c.shape);
        const got = evaluate(FACTORIES[e.loss](e.options), yTrue, yPred);
        close(got.value, e.value, 'loss');
        got.perClass.forEach((v, k) => close(v, e.perClass[k], `perClass[${k}]`));
        yTrue.dispose();
        yPred.dispose();
      });
    }
  });
});

describe('loss limit cases', () => {
  const shape: [number, number, number, number] = [2, 4, 4, 3];
  const labels = [...Array(32).keys()].map((i) => (i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0));
  const oneHot = () => tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), shape) as tf.Tensor4D;
  const soft = () => tf.softmax(tf.randomNormal(shape, 0, 1, 'float32', 7)) as tf.Tensor4D;

  it('identical masks give zero Dice loss', () => {
    const t = oneHot();
    assert.ok(Math.abs(evaluate(createDiceLoss(), t, t).value) < 1e-6);
  });

  it('focal with gamma 0 equals cross-entropy', () => {
    const t = oneHot();
    const p = soft();
    close(evaluate(createFocalLoss({ gamma: 0 }), t, p).value, evaluate(createCrossEntropyLoss(), t, p).value, 'focal(γ=0)');
  });

  it('Tversky with alpha = beta = 0.5 equals Dice', () => {
    const t = oneHot();
    const p = soft();
    close(evaluate(createTverskyLoss({ alpha: 0.5, beta: 0.5, smooth: 0 }), t, p).value, evaluate(createDiceLoss({ smoothNumerator: 0, smoothDenominator: 0 }), t, p).value, 'tversky(0.5,0.5)');
  });

  it('a perfect prediction gives zero sensitivity-specificity loss', () => {
    const t = oneHot();
    assert.ok(Math.abs(evaluate(createSensitivitySpecificityLoss(), t, t).value) < 1e-6);
  });

  it('leaves no tensors behind', () => {
    const t = oneHot();
    const p = soft();
    const before = tf.memory().numTensors;
    for (const f of Object.values(FACTORIES)) {
      const r = f({})(t, p);
      r.loss.dispose();
      r.perClass.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  const BAD_OPTIONS: [string, () => unknown, RegExp][] = [
    ['negative focal gamma', () => createFocalLoss({ gamma: -1 }), /focal: gamma must be in \[0, 10\], got -1/],
    ['alpha above 1', () => createFocalLoss({ alpha: [0.5, 1.5] }), /focal: alpha\[1\] must be in \[0, 1\], got 1.5/],
    ['Tversky beta NaN', () => createTverskyLoss({ beta: Number.NaN }), /tversky: beta must be in \[0, 1\], got NaN/],
    ['sensitivity weight r = 2', () => createSensitivitySpecificityLoss({ r: 2 }), /sensitivitySpecificity: r must be in \[0, 1\], got 2/],
    ['zero smoothing for sensitivity-specificity', () => createSensitivitySpecificityLoss({ smooth: 0 }), /smooth must be in \(0, Infinity\], got 0/],
    ['unknown Dice reduction', () => createDiceLoss({ reduction: 'voxel' as 'batch' }), /reduction must be 'batch' or 'sample', got voxel/],
  ];
  for (const [name, make, pattern] of BAD_OPTIONS) {
    it(`rejects ${name} when built`, () => assert.throws(make, (e: unknown) => e instanceof LossOptionError && pattern.test(e.message)));
  }

  it('rejects mismatched shapes when called, naming both', () => {
    const t = oneHot();
    const p = tf.zeros([2, 4, 4, 2]) as tf.Tensor4D;
    assert.throws(
      () => createDiceLoss()(t, p),
      (e: unknown) => e instanceof LossShapeError && /\[2,4,4,3\].*\[2,4,4,2\]/.test(e.message),
    );
  });

  it('rejects a class-weight list of the wrong length when called', () => {
    assert.throws(() => createCrossEntropyLoss({ classWeights: [1, 2] })(oneHot(), soft()), /classWeights has 2 entries for 3 classes/);
  });
});
