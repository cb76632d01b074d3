import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStatusCounts } from '../../src/studies/statusCounts.js';

describe('describeStatusCounts', () => {
  const cases: [Record<string, number>, string][] = [
    [{}, ''],
    [{ completed: 4 }, '4 completed'],
    [{ completed: 4, queued: 2, running: 1 }, '4 completed, 2 queued, 1 running'],
  ];
  for (const [counts, text] of cases) it(`${JSON.stringify(counts)} reads "${text}"`, () => assert.equal(describeStatusCounts(counts), text));
});
