import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepMerge } from '../../src/util/deepMerge.js';

describe("deepMerge: a config laid over a base (a study's, a preset)", () => {
  const CASES: [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
    ['objects merge key by key', { split: { test: 0.25, validation: 0.34 } }, { split: { validation: 0.2 } }, { split: { test: 0.25, validation: 0.2 } }],
    ['a scalar replaces', { epochs: 48 }, { epochs: 3 }, { epochs: 3 }],
    ['an array replaces, never merges', { losses: [{ name: 'dice' }, { name: 'focal' }] }, { losses: [{ name: 'tversky' }] }, { losses: [{ name: 'tversky' }] }],
    ['an object replaces a scalar and the other way round', { a: 1, b: { c: 2 } }, { a: { x: 1 }, b: 5 }, { a: { x: 1 }, b: 5 }],
    ['keys of either side are kept', { model: { inputSlices: 3 } }, { model: { depth: 2 }, dataset: 'd' }, { model: { inputSlices: 3, depth: 2 }, dataset: 'd' }],
    ['nothing over: the preset', { patience: 16 }, {}, { patience: 16 }],
  ];
  for (const [name, under, over, want] of CASES) {
    it(name, () => {
      const before = JSON.stringify(under);
      assert.deepEqual(deepMerge(under, over), want);
      assert.equal(JSON.stringify(under), before, 'the base is not changed');
    });
  }
});
