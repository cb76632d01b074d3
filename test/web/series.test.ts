import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { color, colorFor, smooth } from '../../src/web/series.js';

describe("smooth (the charts' smoothing slider)", () => {
  const CASES: [string, (number | null)[], number, (number | null)[]][] = [
    ['factor 0 leaves the series as it is', [1, 5, 3], 0, [1, 5, 3]],
    // 1; 0.5·1 + 0.5·5 = 3; 0.5·3 + 0.5·3 = 3
    ['EMA from the first value (hand-computed)', [1, 5, 3], 0.5, [1, 3, 3]],
    ['gaps stay gaps and do not reset the average', [2, null, 4], 0.5, [2, null, 3]],
    ['a leading gap, then the first value starts it', [null, 4, 0], 0.75, [null, 4, 3]],
  ];
  for (const [name, values, factor, want] of CASES) it(name, () => assert.deepEqual(smooth(values, factor), want));
});

describe('colorFor', () => {
  it('gives a name the same colour whatever chart asks, and one unlike the first series colour', () => {
    const names = ['dice', 'focal'];
    assert.equal(colorFor(names, 'focal'), colorFor(names, 'focal'));
    assert.notEqual(colorFor(names, 'dice'), colorFor(names, 'focal'));
    assert.notEqual(colorFor(names, 'dice'), color(0));
    assert.equal(colorFor(names, 'unknown'), '#333');
  });
});
