import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CaseDetectionCurve, froc, FROC_RATES, poolFrocs } from '../../src/metrics/froc.js';
import { frocEnvelope } from '../../src/metrics/frocEnvelope.js';

const T = [0.9, 0.5, 0.1] as const;
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('froc (hand-derived)', () => {
  // Two cases, 4 lesions. At 0.9: 1 found, 0 FP; at 0.5: 3 found, 1 + 2 = 3 FP (1.5 per case);
  // at 0.1: 4 found, 2 + 7 = 9 FP (4.5 per case).
  const cases: CaseDetectionCurve[] = [
    { lesions: 1, found: [1, 1, 1], falsePositives: [0, 1, 2] },
    { lesions: 3, found: [0, 2, 3], falsePositives: [0, 2, 7] },
  ];
  const f = froc(T, cases, { seed: 5 });

  it('pools found over lesions and false positives over cases at each threshold', () => {
    assert.ok(f);
    assert.deepEqual(
      f.curve.map((q) => [q.t, q.sensitivity, q.falsePositivesPerCase]),
      [
        [0.9, 0.25, 0],
        [0.5, 0.75, 1.5],
        [0.1, 1, 4.5],
      ],
    );
    assert.deepEqual([f.cases, f.lesions], [2, 4]);
  });

  it('reads each rate as the best sensitivity within it, and the CPM as their mean', () => {
    assert.ok(f);
    // 1/8, 1/4, 1/2, 1: only 0.9 (0 FP) is within: 0.25; 2 and 4: 0.5 (1.5 FP): 0.75; 8: 0.1 (4.5 FP): 1.
    assert.deepEqual(
      f.rates.map((r) => [r.falsePositivesPerCase, r.sensitivity]),
      [
        [0.125, 0.25],
        [0.25, 0.25],
        [0.5, 0.25],
        [1, 0.25],
        [2, 0.75],
        [4, 0.75],
        [8, 1],
      ],
    );
    close(f.cpm.estimate, (4 * 0.25 + 2 * 0.75 + 1) / 7);
    for (const r of [...f.rates.map((x) => ({ v: x.sensitivity, ci: x.ci })), { v: f.cpm.estimate, ci: f.cpm.ci }]) assert.ok(r.ci[0] <= r.v + 1e-12 && r.v <= r.ci[1] + 1e-12, JSON.stringify(r));
  });

  it('reads 0 at a rate no threshold stays within (the curve starts at nothing detected), and keeps the best of a non-monotone count', () => {
    // Components merge as t falls: 3 FP at 0.5, 1 at 0.1 (with more lesions found).
    const g = froc(T, [{ lesions: 2, found: [0, 1, 2], falsePositives: [1, 3, 1] }], { rates: [0.5, 1, 2, 3] });
    assert.deepEqual(
      g?.rates.map((r) => r.sensitivity),
      [0, 1, 1, 1],
    );
  });

  it('one case: every bootstrap draw is that case, so each interval is the point', () => {
    const g = froc(T, [cases[1]]);
    assert.ok(g);
    for (const r of g.rates) assert.deepEqual(r.ci, [r.sensitivity, r.sensitivity]);
    assert.deepEqual(g.cpm.ci, [g.cpm.estimate, g.cpm.estimate]);
  });

  it('is null without a lesion; draws without a lesion are left out of the intervals', () => {
    assert.equal(froc(T, [{ lesions: 0, found: [0, 0, 0], falsePositives: [0, 1, 1] }]), null);
    assert.equal(froc(T, []), null);
    // A lesion-free case beside one with lesions: draws of the lesion-free case alone are skipped, the rest read as above.
    const g = froc(T, [cases[1], { lesions: 0, found: [0, 0, 0], falsePositives: [0, 0, 0] }], { seed: 2 });
    assert.ok(g?.cpm.ci.every(Number.isFinite));
  });

  it('reads the ANODE09/LUNA16 rates by default', () => {
    assert.deepEqual([...FROC_RATES], [0.125, 0.25, 0.5, 1, 2, 4, 8]);
    assert.deepEqual(
      f?.rates.map((r) => r.falsePositivesPerCase),
      [...FROC_RATES],
    );
  });
});

describe("poolFrocs: a study arm's runs", () => {
  const a: CaseDetectionCurve[] = [
    { lesions: 1, found: [1, 1, 1], falsePositives: [0, 1, 2] },
    { lesions: 3, found: [0, 2, 3], falsePositives: [0, 2, 7] },
  ];
  const b: CaseDetectionCurve[] = [
    { lesions: 2, found: [1, 1, 2], falsePositives: [1, 1, 3] },
    { lesions: 0, found: [0, 0, 0], falsePositives: [0, 0, 1] },
    { lesions: 1, found: [0, 1, 1], falsePositives: [0, 0, 0] },
  ];
  it('equals the FROC of all their cases together (curve, rates and CPM), from the stored shares', () => {
    const pooled = poolFrocs([froc(T, a), froc(T, b)].flatMap((f) => (f ? [f] : [])));
    const together = froc(T, [...a, ...b]);
    assert.ok(pooled && together);
    assert.deepEqual([pooled.runs, pooled.cases, pooled.lesions], [2, 5, 7]);
    pooled.curve.forEach((q, k) => {
      close(q.sensitivity, together.curve[k].sensitivity);
      close(q.falsePositivesPerCase, together.curve[k].falsePositivesPerCase);
    });
    // Hand-derived: at 0.5, 3 + 2 = 5 of 7 found with 3 + 1 = 4 false positives over 5 cases.
    close(pooled.curve[1].sensitivity, 5 / 7);
    close(pooled.curve[1].falsePositivesPerCase, 4 / 5);
    assert.deepEqual(
      pooled.rates.map((q) => q.sensitivity),
      together.rates.map((q) => q.sensitivity),
    );
    close(pooled.cpm, together.cpm.estimate);
    assert.equal(pooled.cpmCi, undefined, 'no interval from pooled curves alone');
  });
  it('with every case named: the CPM interval of froc() over all the cases', () => {
    const named = (cases: CaseDetectionCurve[], run: string) => cases.map((c, i) => ({ ...c, id: `${run}${i}` }));
    const pooled = poolFrocs([froc(T, named(a, 'a')), froc(T, named(b, 'b'))].flatMap((f) => (f ? [f] : [])));
    const together = froc(T, [...named(a, 'a'), ...named(b, 'b')], { seed: 1 });
    assert.ok(pooled?.cpmCi && together);
    assert.deepEqual(pooled.cpmCi, together.cpm.ci);
    // One run without its cases' counts leaves the interval out.
    assert.equal(poolFrocs([froc(T, named(a, 'a')), froc(T, b)].flatMap((f) => (f ? [f] : [])))?.cpmCi, undefined);
  });
  it('is null without a FROC and refuses FROCs on different grids', () => {
    assert.equal(poolFrocs([]), null);
    const f = froc(T, a);
    const g = froc([0.9, 0.4, 0.1], a);
    assert.ok(f && g);
    assert.throws(() => poolFrocs([f, g]), /different threshold grids or rates \(3 and 3 thresholds\)/);
  });
});

describe('frocEnvelope: the curve as drawn', () => {
  it('ascends in false positives from (0, 0), keeps the best sensitivity within each, and stops at the rate', () => {
    const curve = [
      { sensitivity: 0.25, falsePositivesPerCase: 0 },
      { sensitivity: 0.75, falsePositivesPerCase: 3 },
      { sensitivity: 0.5, falsePositivesPerCase: 1 },
      { sensitivity: 0.4, falsePositivesPerCase: 2 },
      { sensitivity: 1, falsePositivesPerCase: 9 },
    ];
    assert.deepEqual(frocEnvelope(curve, 8), [
      [0, 0.25],
      [1, 0.5],
      [2, 0.5],
      [3, 0.75],
    ]);
  });
});
