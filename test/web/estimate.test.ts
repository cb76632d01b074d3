import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateRunTime, type PastRun } from '../../src/web/estimate.js';

const run = (id: string, durationMs: number, config: Record<string, unknown>, status = 'completed'): PastRun => ({ id, name: id, status, durationMs, epochsDone: 10, config: { batchesPerEpoch: 10, ...config } });

describe('estimateRunTime', () => {
  const small = run('small', 100_000, { sampling: { batchSize: 8, patchSize: 64 }, model: { depth: 3, baseFilters: 16 } });
  const wide = run('wide', 400_000, { sampling: { batchSize: 8, patchSize: 64 }, model: { depth: 3, baseFilters: 32 } });
  const planned = { epochs: 20, batchesPerEpoch: 10, batchSize: 8, patchSize: 64, model: { depth: 3, baseFilters: 16 } };

  it('takes the per-batch time of a run of the same model: 1 s per batch, 200 batches', () => {
    const e = estimateRunTime(planned, [wide, small]);
    assert.equal(e?.basis.id, 'small');
    assert.equal(e?.ms, 200_000);
  });

  // Scaling by voxels per batch and base filters squared, from the "small" run (1000 ms per batch).
  const SCALES: [string, Partial<typeof planned>, number][] = [
    ['twice the batch', { batchSize: 16 }, 2],
    ['patches of 128', { patchSize: 128 }, 4],
  ];
  for (const [name, change, factor] of SCALES) {
    it(`scales for ${name}`, () => assert.equal(estimateRunTime({ ...planned, ...change }, [small])?.ms, 200_000 * factor));
  }

  it('is null without a completed run', () => {
    assert.equal(estimateRunTime(planned, []), null);
    assert.equal(estimateRunTime(planned, [{ ...small, status: 'failed' }]), null);
  });
});
