import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PRESETS, presetUnder, withPreset } from '../../src/train/presets.js';
import { RunConfigSchema } from '../../src/train/runConfig.js';
import { ROOT } from '../helpers.js';

describe('withPreset and presetUnder', () => {
  it('leaves a config without a preset as it is, and lays a preset under one field by field', () => {
    const config = { dataset: 'd', model: { depth: 2 } };
    assert.equal(withPreset(undefined, config), config);
    assert.deepEqual(withPreset('small-lesions', config), { ...PRESETS['small-lesions'].config, dataset: 'd', model: { inputSlices: 3, depth: 2 } });
  });
  it("lays a known preset under a request body's config (absent: the preset alone) and leaves anything else to the schema", () => {
    const lay = presetUnder('baseConfig');
    assert.deepEqual(lay({ preset: 'small-lesions', baseConfig: { epochs: 3 } }), { preset: 'small-lesions', baseConfig: { ...PRESETS['small-lesions'].config, epochs: 3 } });
    assert.deepEqual(lay({ preset: 'small-lesions' }), { preset: 'small-lesions', baseConfig: PRESETS['small-lesions'].config });
    for (const body of [{ preset: 'nope', baseConfig: {} }, { preset: 'small-lesions', baseConfig: [1] }, { preset: 3 }, 'text', null]) assert.equal(lay(body), body);
  });
});

describe('the presets', () => {
  for (const [name, p] of Object.entries(PRESETS)) {
    it(`${name} is a valid run config on its own`, () => {
      assert.doesNotThrow(() => RunConfigSchema.parse({ dataset: 'd', ...p.config }));
      assert.match(p.docs, /^[a-z-]+#[a-z0-9-]+$/, 'a served document and heading (test/server/docsRouter.test.ts follows it)');
    });
  }
  it('small-lesions is docs/examples/small-lesions.json without its targets (the file the measurements name)', () => {
    const { sensitivityTargets, ...file } = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'examples', 'small-lesions.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(sensitivityTargets, { '2': 0.9 });
    assert.deepEqual(file, PRESETS['small-lesions'].config);
  });
});
