import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { learningRateAt } from '../../src/train/schedule.js';

const base = { learningRate: 0.01, warmupEpochs: 1, epochs: 5, batchesPerEpoch: 10 };

describe('learningRateAt', () => {
  const cases: [string, Parameters<typeof learningRateAt>[1], number, number][] = [
    ['warm-up starts at lr/10', { ...base, schedule: 'poly' }, 0, 0.001],
    ['warm-up halfway', { ...base, schedule: 'poly' }, 5, 0.001 + 0.009 * 0.5],
    ['poly at the end of warm-up is lr', { ...base, schedule: 'poly' }, 10, 0.01],
    ['poly halfway: lr (1 - 0.5)^0.9', { ...base, schedule: 'poly' }, 30, 0.01 * 0.5 ** 0.9],
    ['cosine halfway is lr/2', { ...base, schedule: 'cosine' }, 30, 0.005],
    ['cosine at s = 1/4', { ...base, schedule: 'cosine' }, 20, (0.01 * (1 + Math.cos(Math.PI / 4))) / 2],
    ['constant', { ...base, schedule: 'constant', warmupEpochs: 0 }, 37, 0.01],
  ];
  for (const [name, o, step, expected] of cases) {
    it(name, () => assert.ok(Math.abs(learningRateAt(step, o) - expected) < 1e-12, `${learningRateAt(step, o)} vs ${expected}`));
  }
  it('decreases monotonically after warm-up and stays positive before the end', () => {
    const rates = [...Array(40).keys()].map((t) => learningRateAt(t + 10, { ...base, schedule: 'poly' }));
    for (let i = 1; i < rates.length; i++) assert.ok(rates[i] < rates[i - 1]);
    assert.ok(rates[rates.length - 1] > 0);
  });
});
