import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LossOptionError } from '../../src/losses/types.js';
import { createFocalLoss } from '../../src/losses/focal.js';
import { buildLosses, parseRunConfig, RunConfigError, runTargets } from '../../src/train/runConfig.js';
import { ROOT } from '../helpers.js';

describe('parseRunConfig', () => {
  it('fills every default from a dataset name alone', () => {
    const c = parseRunConfig({ dataset: 'demo' });
    assert.equal(c.version, 1);
    assert.deepEqual(c.model, { depth: 3, baseFilters: 16, normalization: 'batch', dropout: 0, inputSlices: 1 });
    assert.equal(c.sampling.patchSize, 64);
    assert.equal(c.sampling.augmentation.flip, 0.5);
    assert.deepEqual(
      c.losses.map((l) => l.name),
      ['dice', 'focal', 'sensitivitySpecificity'],
    );
    assert.equal(c.fusion.strategy, 'batchAdaptive');
    assert.equal(c.optimizer.schedule, 'poly');
    assert.deepEqual(c.split, { test: 0.2, validation: 0.2 });
    assert.deepEqual(c.inference, { mirror: false, mirrorEachEpoch: true });
    assert.equal(c.selection.smoothing, 0);
    assert.equal(c.validationInterval, 1);
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
    ['a validation interval of 0', { dataset: 'd', validationInterval: 0 }, /validationInterval: /],
    ['targets that count neither voxels nor lesions', { dataset: 'd', operatingPoint: { basis: 'lesions' } }, /operatingPoint\.basis: .*"voxel".*"lesion"/],
    ['conformal calibration of a voxel target', { dataset: 'd', operatingPoint: { conformal: true } }, /operatingPoint\.conformal: conformal calibration counts lesions: it needs basis "lesion"/],
  ];
  for (const [name, value, pattern] of bad) {
    it(`rejects ${name}, naming the field`, () =>
      assert.throws(
        () => parseRunConfig(value),
        (e: unknown) => e instanceof RunConfigError && pattern.test(e.message),
      ));
  }

  const badPlugins: [string, unknown, RegExp][] = [
    ['a focal gamma of -1', { losses: [{ name: 'dice' }, { name: 'focal', options: { gamma: -1 } }] }, /losses\.1\.options\.gamma: must be in \[0, 10\], got -1/],
    ['an unknown loss option', { losses: [{ name: 'dice', options: { smooth: 1 } }] }, /losses\.0\.options: unknown field "smooth"/],
    ['a GradNorm alpha of -1', { fusion: { strategy: 'gradnorm', options: { alpha: -1 } } }, /fusion\.options\.alpha: /],
    ['a sensitivity target of 1.5', { fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 1.5 } } } }, /fusion\.options\.sensitivityTargets\.2: /],
    ['static weights for fewer losses', { fusion: { strategy: 'static', options: { weights: [1, 1] } } }, /fusion\.options\.weights: 2 value\(s\) for 3 losses/],
    ['a role for a loss not in the run', { fusion: { strategy: 'batchAdaptive', options: { roles: { tversky: 'recall' } } } }, /fusion\.options\.roles\.tversky: "tversky" is not one of the losses/],
  ];
  for (const [name, value, pattern] of badPlugins) {
    it(`rejects ${name} when the config is parsed (at launch), naming the field`, () =>
      assert.throws(
        () => parseRunConfig({ dataset: 'd', ...(value as object) }),
        (e: unknown) => e instanceof RunConfigError && pattern.test(e.message),
      ));
  }

  it("run-level sensitivity targets reach a strategy that takes targets, and a strategy's own win", () => {
    const withTargets = (fusion: unknown) => runTargets(parseRunConfig({ dataset: 'd', sensitivityTargets: { '2': 0.9 }, fusion }));
    assert.deepEqual(withTargets({ strategy: 'batchAdaptive' }), { targets: { '2': 0.9 }, fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.9 } } } });
    assert.deepEqual(withTargets({ strategy: 'static' }), { targets: { '2': 0.9 }, fusion: { strategy: 'static', options: {} } });
    assert.deepEqual(withTargets({ strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.8, '1': 0.5 } } }).targets, { '2': 0.8, '1': 0.5 });
    assert.throws(() => parseRunConfig({ dataset: 'd', sensitivityTargets: { lesion: 0.9 } }), /sensitivityTargets\.lesion/);
  });

  it('builds every registered loss from the default config', () => {
    assert.deepEqual(
      buildLosses(parseRunConfig({ dataset: 'd' })).map((l) => l.name),
      ['dice', 'focal', 'sensitivitySpecificity'],
    );
    assert.throws(
      () => createFocalLoss({ gamma: -1 }),
      (e: unknown) => e instanceof LossOptionError && /focal: gamma must be in \[0, 10\], got -1/.test(e.message),
    );
  });

  it('parses the documented small-lesion recipe (docs/examples/small-lesions.json) as it is measured in docs/loss-fusion.md', () => {
    const recipe = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'examples', 'small-lesions.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(recipe.dataset, undefined, 'the dataset comes from --dataset or the study');
    const c = parseRunConfig({ ...recipe, dataset: 'demo-hard' });
    assert.deepEqual([c.operatingPoint.basis, c.operatingPoint.conformal, c.model.inputSlices, c.inference.mirror, c.split.validation, c.epochs, c.patience, c.sensitivityTargets], ['lesion', true, 3, true, 0.34, 48, 16, { '2': 0.9 }]);
  });
});
