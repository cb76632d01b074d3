import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bootstrapMean, holmAdjust, wilcoxonSignedRank } from '../../src/metrics/pairedStatistics.js';

/** scipy.stats references (make_stats_fixtures.py beside them). */
const FIXTURE = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stats.json'), 'utf8')) as {
  wilcoxon: { diffs: number[]; exact: boolean; p: number }[];
  holm: { p: number[]; adjusted: number[] }[];
};

describe('wilcoxonSignedRank against scipy.stats.wilcoxon', () => {
  FIXTURE.wilcoxon.forEach((c, i) => {
    it(`case ${i}: n = ${c.diffs.length}, ${c.exact ? 'exact' : 'normal approximation'}`, () => {
      const r = wilcoxonSignedRank(c.diffs);
      assert.ok(r);
      assert.equal(r.method, c.exact ? 'exact' : 'normal');
      assert.ok(Math.abs(r.p - c.p) < (c.exact ? 1e-12 : 1e-6), `p ${r.p} vs scipy ${c.p}`);
    });
  });
  it('hand-derived limit cases', () => {
    // n = 3, all positive: T+ = 6 of max 6; P(T <= 0) = 1/8, two-sided 2/8.
    assert.equal(wilcoxonSignedRank([0.1, 0.2, 0.3])?.p, 0.25);
    // Zeros are dropped: the same as [0.1, 0.2, 0.3].
    assert.equal(wilcoxonSignedRank([0, 0.1, 0, 0.2, 0.3])?.n, 3);
    assert.equal(wilcoxonSignedRank([0, 0]), null);
    // T+ = 1 + 4 = 5, the centre of 0..10: 9 of 16 sign patterns have T <= 5, so p = 18/16, capped at 1.
    assert.equal(wilcoxonSignedRank([0.1, -0.2, -0.3, 0.4])?.p, 1);
  });
});

describe('holmAdjust against the step-down rule', () => {
  FIXTURE.holm.forEach((c, i) => it(`case ${i}`, () => holmAdjust(c.p).forEach((v, k) => assert.ok(Math.abs(v - c.adjusted[k]) < 1e-12, `${v} vs ${c.adjusted[k]}`))));
});

describe('bootstrapMean', () => {
  it('is seeded, holds the mean, and is null for no values', () => {
    const v = [0.1, 0.4, 0.35, 0.8, 0.2, 0.5];
    const a = bootstrapMean(v, { seed: 9 });
    assert.deepEqual(a, bootstrapMean(v, { seed: 9 }));
    assert.ok(a && a.ci[0] < a.mean && a.mean < a.ci[1]);
    assert.equal(bootstrapMean([]), null);
    assert.deepEqual(bootstrapMean([2, 2, 2])?.ci, [2, 2]);
  });
});
