import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointFlag } from '../../src/cli/options.js';
import { adjustByFamily, describeCorrection, type StudyEndpoint } from '../../src/studies/studyEndpoint.js';
import type { StudyMetric } from '../../src/studies/studyMetrics.js';

const c = (className: string, metric: StudyMetric, p: number | null) => ({ className, metric, p });
// Two arms against the reference on lesion sensitivity, one on lesion Dice and organ Dice, one not yet paired.
const COMPARISONS = [c('lesion', 'sensitivity', 0.01), c('lesion', 'sensitivity', 0.04), c('lesion', 'dice', 0.03), c('organ', 'dice', 0.02), c('organ', 'hd95', null)];
const close = (actual: (number | null)[], expected: (number | null)[]) =>
  assert.deepEqual(
    actual.map((v) => (v === null ? null : Number(v.toFixed(12)))),
    expected,
  );

describe('adjustByFamily (Holm within each family)', () => {
  // Hand-derived: Holm multiplies the k-th smallest of m p-values by m - k + 1 and keeps the running maximum.
  const cases: { name: string; primary: StudyEndpoint | null; expected: (number | null)[] }[] = [
    // One family of 4: 0.01x4 = 0.04, 0.02x3 = 0.06, 0.03x2 = 0.06, 0.04x1 -> max 0.06.
    { name: 'no primary endpoint: one family of every comparison', primary: null, expected: [0.04, 0.06, 0.06, 0.06, null] },
    // Primary {0.01, 0.04}: 0.02, 0.04. Secondary {0.03, 0.02}: 0.02x2 = 0.04, 0.03x1 -> max 0.04.
    { name: 'lesion sensitivity primary: its two comparisons alone, the rest secondary', primary: { className: 'lesion', metric: 'sensitivity' }, expected: [0.02, 0.04, 0.04, 0.04, null] },
    // Primary {0.03}: unadjusted. Secondary {0.01, 0.04, 0.02}: 0.03, 0.04 (0.02x2), 0.04.
    { name: 'one comparison in the primary family is not adjusted', primary: { className: 'lesion', metric: 'dice' }, expected: [0.03, 0.04, 0.03, 0.04, null] },
    // No comparison of that class: the primary family is empty and the secondary one is every comparison.
    { name: 'an endpoint with no comparison leaves one family', primary: { className: 'vessel', metric: 'dice' }, expected: [0.04, 0.06, 0.06, 0.06, null] },
  ];
  for (const t of cases) it(t.name, () => close(adjustByFamily(COMPARISONS, t.primary), t.expected));

  it('caps at 1 and keeps an empty list empty', () => {
    close(adjustByFamily([c('lesion', 'dice', 0.6), c('lesion', 'dice', 0.7)], null), [1, 1]);
    assert.deepEqual(adjustByFamily([], { className: 'lesion', metric: 'dice' }), []);
  });

  it('states each family with its size', () => {
    assert.equal(describeCorrection(COMPARISONS, null), 'Holm-Bonferroni over all 4 comparisons (arms x classes x metrics)');
    assert.equal(
      describeCorrection(COMPARISONS, { className: 'lesion', metric: 'sensitivity' }),
      'primary endpoint lesion sensitivity (named at creation): Holm-Bonferroni over its 2 comparisons; the other 2 are secondary, Holm-Bonferroni over them',
    );
  });
});

describe('--primary CLASS:METRIC', () => {
  it('splits at the last colon, so a class name may hold one', () => {
    assert.deepEqual(endpointFlag('lesion:sensitivity'), { className: 'lesion', metric: 'sensitivity' });
    assert.deepEqual(endpointFlag('left:kidney:hd95'), { className: 'left:kidney', metric: 'hd95' });
  });
  for (const bad of ['lesion', ':dice', 'lesion:auc', 'lesion:']) {
    it(`refuses "${bad}", naming the metrics`, () =>
      assert.throws(() => endpointFlag(bad), { name: 'CliOptionError', message: `--primary must be CLASS:METRIC with METRIC one of dice, sensitivity, precision, hd95, detectionSensitivity, got "${bad}"` }));
  }
});
