import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectedComponents } from '../../src/metrics/connectedComponents.js';
import { detectionComponents, lesionDetection, type LesionDetection } from '../../src/metrics/lesionDetection.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** scipy.ndimage.label references (make_lesion_fixtures.py beside them). */
const FIXTURES = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'lesions.json'), 'utf8')) as { size: [number, number, number]; truth: number[]; prediction: number[]; expected: LesionDetection }[];

/** A 4x4x4 label volume with the given voxels (i, j, k) set to `label`. */
const volume = (voxels: [number, number, number][], label = 2) => {
  const v = new Uint8Array(64);
  for (const [i, j, k] of voxels) v[i + 4 * j + 16 * k] = label;
  return v;
};
const SIZE = [4, 4, 4] as const;

describe('connectedComponents (26-connectivity)', () => {
  const CASES: [string, [number, number, number][], number][] = [
    ['an empty mask', [], 0],
    [
      'voxels touching only at a corner: one component',
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
      1,
    ],
    [
      'voxels touching only along an edge: one component',
      [
        [0, 0, 0],
        [1, 1, 0],
      ],
      1,
    ],
    [
      'voxels one apart: two components',
      [
        [0, 0, 0],
        [2, 0, 0],
      ],
      2,
    ],
    [
      'no wrap-around at the row end',
      [
        [3, 0, 0],
        [0, 1, 0],
      ],
      2,
    ],
  ];
  for (const [name, voxels, count] of CASES) it(name, () => assert.equal(connectedComponents(volume(voxels, 1), SIZE).count, count));
});

describe('lesionDetection against scipy.ndimage.label', () => {
  FIXTURES.forEach((f, n) => {
    it(`case ${n} (${f.size.join('x')}): ${f.expected.lesions} lesion(s)`, () => {
      const got = lesionDetection(Uint8Array.from(f.truth), Uint8Array.from(f.prediction), 2, f.size);
      assert.equal(got.lesions, f.expected.lesions);
      assert.equal(got.lesionsFound, f.expected.lesionsFound);
      assert.equal(got.falsePositiveComponents, f.expected.falsePositiveComponents);
      for (const k of ['detectionSensitivity', 'detectionF1'] as const) {
        if (f.expected[k] === null) assert.equal(got[k], null);
        else assert.ok(Math.abs((got[k] as number) - (f.expected[k] as number)) < 1e-12, k);
      }
    });
  });
});

describe('lesionDetection: the overlap rule at its limits', () => {
  it('one predicted component bridging two lesions finds both and is no false positive', () => {
    const truth = volume([
      [0, 0, 0],
      [3, 0, 0],
    ]);
    const prediction = volume([
      [0, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 0],
    ]);
    assert.deepEqual(lesionDetection(truth, prediction, 2, SIZE), { lesions: 2, lesionsFound: 2, falsePositiveComponents: 0, detectionSensitivity: 1, detectionF1: 1 });
  });
  it('one lesion split into two predicted pieces is found once; neither piece is a false positive', () => {
    const truth = volume([
      [0, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 0],
    ]);
    const prediction = volume([
      [0, 0, 0],
      [3, 0, 0],
    ]);
    assert.deepEqual(lesionDetection(truth, prediction, 2, SIZE), { lesions: 1, lesionsFound: 1, falsePositiveComponents: 0, detectionSensitivity: 1, detectionF1: 1 });
  });
  it('counts only the class asked for', () => {
    const truth = volume([[0, 0, 0]], 1);
    const prediction = volume([[3, 3, 3]], 1);
    assert.deepEqual(lesionDetection(truth, prediction, 2, SIZE), { lesions: 0, lesionsFound: 0, falsePositiveComponents: 0, detectionSensitivity: null, detectionF1: null });
    assert.deepEqual(lesionDetection(truth, prediction, 1, SIZE), { lesions: 1, lesionsFound: 0, falsePositiveComponents: 1, detectionSensitivity: 0, detectionF1: 0 });
  });
});

describe('detectionComponents', () => {
  // 6 x 6 x 4 grid. Truth class 2: a found lesion (voxels on slices 0-1) and a missed one (slice 3);
  // prediction class 2: over the found lesion, and a false positive on slices 2-3 far from both.
  const size = [6, 6, 4] as const;
  const at = (i: number, j: number, k: number) => (k * 6 + j) * 6 + i;
  const gt = new Uint8Array(144);
  const pred = new Uint8Array(144);
  gt[at(0, 0, 0)] = gt[at(0, 0, 1)] = 2;
  pred[at(0, 0, 1)] = 2;
  gt[at(5, 5, 3)] = gt[at(4, 5, 3)] = 2;
  pred[at(0, 5, 2)] = pred[at(0, 5, 3)] = pred[at(1, 5, 3)] = 2;
  gt[at(3, 0, 0)] = 1; // another class: ignored

  it('locates the missed lesion and the false-positive component, not the found one', () => {
    const r = detectionComponents(gt, pred, 2, size);
    assert.deepEqual(r.missed, [{ voxels: 2, slices: [3, 3], centroid: [5, 5, 3] }]);
    assert.deepEqual(r.falsePositives, [{ voxels: 3, slices: [2, 3], centroid: [0, 5, 3] }]);
  });

  it('agrees with lesionDetection on the counts', () => {
    const d = lesionDetection(gt, pred, 2, size);
    const r = detectionComponents(gt, pred, 2, size);
    assert.equal(r.missed.length, d.lesions - d.lesionsFound);
    assert.equal(r.falsePositives.length, d.falsePositiveComponents);
  });
});
