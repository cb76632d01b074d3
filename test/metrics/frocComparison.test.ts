import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { type CaseDetectionCurve, froc } from '../../src/metrics/froc.js';
import { pairedCpmDifference } from '../../src/metrics/frocComparison.js';

interface Scenario {
  reference: CaseDetectionCurve[];
  other: CaseDetectionCurve[];
  cpmReference: number;
  cpmOther: number;
  difference: number;
  p: number;
}
// scipy.stats.permutation_test, exact over all swap patterns (make_froc_fixtures.py).
const FIXTURE = JSON.parse(fs.readFileSync(new URL('./fixtures/froc.json', import.meta.url), 'utf8')) as { thresholds: number; rates: number[]; scenarios: Scenario[] };

describe('pairedCpmDifference against scipy permutation_test (exact)', () => {
  FIXTURE.scenarios.forEach((s, k) => {
    it(`scenario ${k + 1}: ${s.reference.length} pairs, difference ${s.difference.toFixed(4)}, p ${s.p.toFixed(4)}`, () => {
      const got = pairedCpmDifference(s.reference, s.other, { thresholds: FIXTURE.thresholds, rates: FIXTURE.rates, seed: 3 });
      assert.ok(got);
      assert.equal(got.method, 'exact');
      assert.equal(got.n, s.reference.length);
      assert.ok(Math.abs(got.reference - s.cpmReference) < 1e-12, `reference ${got.reference}`);
      assert.ok(Math.abs(got.other - s.cpmOther) < 1e-12, `other ${got.other}`);
      assert.ok(Math.abs(got.difference - s.difference) < 1e-12, `difference ${got.difference}`);
      assert.ok(Math.abs(got.p - s.p) < 1e-12, `p ${got.p} against ${s.p}`);
      assert.ok(got.ci && got.ci[0] <= got.difference + 1e-12 && got.difference - 1e-12 <= got.ci[1], `ci ${got.ci}`);
    });
  });
  it('random swap patterns approach the exact p (10 pairs, 500 patterns < 2^10)', () => {
    const s = FIXTURE.scenarios[2];
    const got = pairedCpmDifference(s.reference, s.other, { thresholds: FIXTURE.thresholds, rates: FIXTURE.rates, resamples: 500, seed: 7 });
    assert.equal(got?.method, 'monte-carlo');
    // Monte-Carlo standard error at p ~ 0.2 and 500 patterns: 0.018; 0.06 is over 3 of them.
    assert.ok(Math.abs((got?.p ?? -1) - s.p) < 0.06, `p ${got?.p} against ${s.p}`);
  });
});

describe('pairedCpmDifference: limit cases', () => {
  const one = (lesions: number, found: number[], falsePositives: number[]): CaseDetectionCurve => ({ lesions, found, falsePositives });
  const cases = [one(2, [1, 2], [0, 1]), one(1, [0, 1], [1, 3]), one(1, [1, 1], [0, 0])];
  it('the same curves: difference 0, p 1, CI [0, 0]', () => {
    const got = pairedCpmDifference(cases, cases, { thresholds: 2 });
    assert.deepEqual([got?.difference, got?.p, got?.ci], [0, 1, [0, 0]]);
  });
  it('one pair: its two patterns, p 1 whatever the difference', () => {
    const got = pairedCpmDifference([one(1, [0, 0], [0, 0])], [one(1, [1, 1], [0, 0])], { thresholds: 2 });
    assert.deepEqual([got?.difference, got?.p, got?.method], [1, 1, 'exact']);
  });
  it('is null when the cases hold no lesion', () => assert.equal(pairedCpmDifference([one(0, [0, 0], [1, 2])], [one(0, [0, 0], [0, 1])], { thresholds: 2 }), null));
  it('refuses sets of different lengths or lesion counts, naming them', () => {
    assert.throws(() => pairedCpmDifference(cases, cases.slice(1), { thresholds: 2 }), /3 reference cases against 2/);
    assert.throws(() => pairedCpmDifference([{ ...cases[0], id: 'a' }], [one(3, [0, 0], [0, 0])], { thresholds: 2 }), /case a has 2 lesions in one set and 3 in the other/);
  });
});

describe('froc keeps each named case for pairing', () => {
  const T = [0.9, 0.5];
  it('with an id on every case: perCase, counts as given', () => {
    const f = froc(T, [{ id: 'x', lesions: 1, found: Int32Array.from([0, 1]), falsePositives: Int32Array.from([0, 2]) }]);
    assert.deepEqual(f?.perCase, [{ id: 'x', lesions: 1, found: [0, 1], falsePositives: [0, 2] }]);
  });
  it('without (or with one case unnamed): none', () => {
    assert.equal(froc(T, [{ lesions: 1, found: [0, 1], falsePositives: [0, 2] }])?.perCase, undefined);
    assert.equal(
      froc(T, [
        { id: 'x', lesions: 1, found: [0, 1], falsePositives: [0, 2] },
        { lesions: 1, found: [1, 1], falsePositives: [0, 0] },
      ])?.perCase,
      undefined,
    );
  });
});
