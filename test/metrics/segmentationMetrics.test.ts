import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { squaredDistanceToSeeds } from '../../src/metrics/distanceTransform.js';
import { aggregate, classMetrics, MetricShapeError, percentile } from '../../src/metrics/segmentationMetrics.js';
import { Random } from '../../src/util/random.js';

type Size = [number, number, number];
const index = (size: Size, i: number, j: number, k: number) => i + size[0] * (j + size[1] * k);

function volume(size: Size, fill: (i: number, j: number, k: number) => number): Uint8Array {
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++) for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++) out[index(size, i, j, k)] = fill(i, j, k);
  return out;
}

describe('squaredDistanceToSeeds', () => {
  const CASES: [string, Size, [number, number, number], number][] = [
    ['isotropic', [7, 6, 5], [1, 1, 1], 0.05],
    ['anisotropic', [9, 5, 4], [0.7, 1.3, 2.5], 0.1],
    ['one seed', [6, 6, 6], [1, 2, 3], 0.005],
  ];
  for (const [name, size, spacing, density] of CASES) {
    it(`equals brute force (${name})`, () => {
      const rng = new Random(size[0] * 31 + size[2]);
      const seeds = volume(size, () => (rng.next() < density ? 1 : 0));
      seeds[index(size, 1, 2, 3)] = 1;
      const got = squaredDistanceToSeeds(seeds, size, spacing);
      const points: number[][] = [];
      for (let k = 0; k < size[2]; k++) for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++) if (seeds[index(size, i, j, k)]) points.push([i, j, k]);
      for (let k = 0; k < size[2]; k++)
        for (let j = 0; j < size[1]; j++)
          for (let i = 0; i < size[0]; i++) {
            const want = Math.min(...points.map(([a, b, c]) => ((i - a) * spacing[0]) ** 2 + ((j - b) * spacing[1]) ** 2 + ((k - c) * spacing[2]) ** 2));
            assert.ok(Math.abs(got[index(size, i, j, k)] - want) < 1e-9, `(${i},${j},${k}): ${got[index(size, i, j, k)]} vs ${want}`);
          }
    });
  }
  it('is Infinity everywhere without seeds', () => {
    assert.ok(squaredDistanceToSeeds(new Uint8Array(8), [2, 2, 2], [1, 1, 1]).every((d) => d === Infinity));
  });
});

describe('classMetrics', () => {
  const size: Size = [4, 1, 1];
  const shape = { size, spacing: [1, 1, 1] as const };
  it('counts overlap by hand: gt 1100, prediction 0110', () => {
    const m = classMetrics(new Uint8Array([1, 1, 0, 0]), new Uint8Array([0, 1, 1, 0]), 1, shape);
    assert.equal(m.dice, 0.5); // 2*1 / (2+2)
    assert.equal(m.iou, 1 / 3);
    assert.equal(m.sensitivity, 0.5);
    assert.equal(m.specificity, 0.5); // TN 1 / (TN 1 + FP 1)
    assert.equal(m.precision, 0.5);
  });

  const EMPTY: [string, number[], number[], Partial<Record<string, number | null>>][] = [
    ['both empty', [0, 0, 0, 0], [0, 0, 0, 0], { dice: 1, iou: 1, sensitivity: null, precision: null, hd95: 0, assd: 0 }],
    ['empty ground truth', [0, 0, 0, 0], [0, 1, 0, 0], { dice: 0, iou: 0, sensitivity: null, precision: 0, hd95: null, assd: null }],
    ['empty prediction', [0, 1, 0, 0], [0, 0, 0, 0], { dice: 0, iou: 0, sensitivity: 0, precision: null, hd95: null, assd: null }],
    ['all foreground', [1, 1, 1, 1], [1, 1, 1, 1], { dice: 1, specificity: null, hd95: 0 }],
  ];
  for (const [name, gt, pred, want] of EMPTY) {
    it(`follows the stated convention for ${name}`, () => {
      const m = classMetrics(new Uint8Array(gt), new Uint8Array(pred), 1, shape) as unknown as Record<string, number | null>;
      for (const [k, v] of Object.entries(want)) assert.equal(m[k], v, k);
    });
  }

  it('measures two parallel planes 3 voxels apart as 3 spacings (HD95 = ASSD), per axis spacing', () => {
    const s: Size = [10, 8, 6];
    for (const [axis, spacing] of [
      [0, [1.5, 1, 1]],
      [2, [1, 1, 2.5]],
    ] as const) {
      const plane = (at: number) => volume(s, (i, j, k) => ([i, j, k][axis] === at ? 1 : 0));
      const gt = plane(1);
      const pred = plane(4);
      const m = classMetrics(gt, pred, 1, { size: s, spacing });
      assert.ok(Math.abs(m.hd95! - 3 * spacing[axis]) < 1e-9, `hd95 ${m.hd95}`);
      assert.ok(Math.abs(m.assd! - 3 * spacing[axis]) < 1e-9, `assd ${m.assd}`);
    }
  });

  it('measures concentric spheres (radius 8 vs 12 mm) about 4 mm apart', () => {
    const s: Size = [32, 32, 32];
    const ball = (r: number) => volume(s, (i, j, k) => ((i - 15.5) ** 2 + (j - 15.5) ** 2 + (k - 15.5) ** 2 <= r * r ? 1 : 0));
    const m = classMetrics(ball(8), ball(12), 1, { size: s, spacing: [1, 1, 1] });
    // Surface voxels sit up to one voxel inside the continuous sphere: allow that much.
    assert.ok(Math.abs(m.assd! - 4) <= 1, `assd ${m.assd}`);
    assert.ok(Math.abs(m.hd95! - 4) <= 1.2, `hd95 ${m.hd95}`);
    assert.ok(Math.abs(m.dice - (2 * 8 ** 3) / (8 ** 3 + 12 ** 3)) < 0.03, `dice ${m.dice}`);
  });

  it('rejects volumes of the wrong size, naming the sizes', () => {
    assert.throws(
      () => classMetrics(new Uint8Array(3), new Uint8Array(4), 1, shape),
      (e: unknown) => e instanceof MetricShapeError && /3 voxels.*4.*4x1x1 needs 4/.test(e.message),
    );
  });
});

describe('aggregate', () => {
  it('skips undefined values and never returns NaN', () => {
    assert.deepEqual(aggregate([1, null, 3]), { mean: 2, std: 1, median: 2, n: 2 });
    assert.deepEqual(aggregate([null, null]), { mean: null, std: null, median: null, n: 0 });
  });
  it('uses numpy-style linear percentiles', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([0, 10], 95), 9.5);
  });
});

// Reference values from numpy/scipy: test/metrics/fixtures/make_metric_fixtures.py wrote metrics.json.
interface MetricFixture {
  cases: { size: Size; spacing: [number, number, number]; groundTruth: number[]; prediction: number[]; expected: Record<string, Record<string, number>> }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'metrics.json'), 'utf8')) as MetricFixture;

describe('classMetrics against scipy references', () => {
  fixture.cases.forEach((c, ci) => {
    for (const [label, expected] of Object.entries(c.expected)) {
      it(`case ${ci} ${c.size.join('x')} @ ${c.spacing.join('x')} mm, class ${label}`, () => {
        const m = classMetrics(new Uint8Array(c.groundTruth), new Uint8Array(c.prediction), Number(label), { size: c.size, spacing: c.spacing }) as unknown as Record<string, number>;
        for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(m[k] - v) < 1e-9, `${k}: ${m[k]} vs scipy ${v}`);
      });
    }
  });
});
