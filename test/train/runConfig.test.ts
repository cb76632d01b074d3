import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LossOptionError } from '../../src/losses/types.js';
import { buildLosses, parseRunConfig, RunConfigError } from '../../src/train/runConfig.js';

describe('parseRunConfig', () => {
  it('fills every default from a dataset name alone', () => {
    const c = parseRunConfig({ dataset: 'demo' });
    assert.equal(c.version, 1);
    assert.deepEqual(c.model, { depth: 3, baseFilters: 16, normalization: 'batch', dropout: 0, inputSlices: 1 });
    assert.equal(c.sampling.patchSize, 64);
    assert.equal(c.sampling.augmentation.flip, 0.5);
    assert.deepEqual(c.losses.map((l) => l.name), ['dice', 'focal', 'sensitivitySpecificity']);
    assert.equal(c.fusion.strategy, 'batchAdaptive');
    assert.equal(c.optimizer.schedule, 'poly');
    assert.deepEqual(c.split, { test: 0.2, validation: 0.2 });
  });

  const bad: [string, unknown, RegExp][] = [
    ['no dataset', {}, /dataset: /],
    ['a patch size the U-Net cannot halve depth times', { dataset: 'd', sampling: { patchSize: 36 } }, /sampling\.patchSize: patchSize 36 must be divisible by 2\^depth = 8/],
    ['an even number of input slices', { dataset: 'd', model: { inputSlices: 2 } }, /model\.inputSlices: inputSlices must be odd/],
    ['an unknown loss', { dataset: 'd', losses: [{ name: 'hausdorff' }] }, /losses\.0\.name/],
    ['a loss twice', { dataset: 'd', losses: [{ name: 'dice' }, { name: 'dice' }] }, /losses: each loss may appear once/],
    ['a fold beyond the folds', { dataset: 'd', split: { fold: { index: 5, folds: 5 } } }, /split\.fold\.index: fold index must be below the number of folds/],
    ['an unknown strategy', { dataset: 'd', fusion: { strategy: 'magic' } }, /fusion\.strategy/],
    ['a learning rate of 0', { dataset: 'd', optimizer: { learningRate: 0 } }, /optimizer\.learningRate/],
  ];
  for (const [name, value, pattern] of bad) {
    it(`rejects ${name}, naming the field`, () => assert.throws(() => parseRunConfig(value), (e: unknown) => e instanceof RunConfigError && pattern.test(e.message)));
  }

  it('loss options are range-checked by the loss factories when the losses are built', () => {
    const c = parseRunConfig({ dataset: 'd', losses: [{ name: 'focal', options: { gamma: -1 } }] });
    assert.throws(() => buildLosses(c), (e: unknown) => e instanceof LossOptionError && /gamma/.test(e.message));
  });
});
