import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { VolumeGeometry } from '../../src/data/geometry.js';
import { rasterizeRoi } from '../../src/data/rtstructRaster.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { readStructureSet, type StructureSet } from '../../src/dicom/rtstruct.js';
import { cli, isolatedEnv, ok, PYTHON, ROOT, run, smallCohort, tempDir } from '../helpers.js';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'rtstruct', 'make_rtstruct.py');
const ROIS = ['LIVER', 'Lesion', 'Organ ring', 'Couch'];

const dice = (a: Uint8Array, b: Uint8Array) => {
  let both = 0;
  let sum = 0;
  for (let v = 0; v < a.length; v++) {
    both += a[v] & b[v];
    sum += a[v] + b[v];
  }
  return sum === 0 ? 1 : (2 * both) / sum;
};

describe('RTSTRUCT import', () => {
  let dir: string;
  let cases: SyntheticCase[];
  let set: StructureSet;

  before(() => {
    dir = tempDir('rtstruct');
    cases = smallCohort(path.join(dir, 'cohort'), 2);
    // One structure set per case, traced and rasterised independently by the committed pydicom/skimage script.
    for (const c of cases) {
      const out = path.join(dir, 'rt', c.patientId);
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, 'labels.raw'), c.labels);
      run(PYTHON, [SCRIPT, path.join(dir, 'cohort', 'dicom', c.patientId), path.join(out, 'labels.raw'), out]);
    }
    const file = path.join(dir, 'rt', cases[0].patientId, 'rtstruct.dcm');
    set = readStructureSet(parseDicom(fs.readFileSync(file), file).dataSet, file);
  });

  it('reads ROI names, contours and the referenced series', () => {
    assert.deepEqual(
      set.rois.map((r) => r.name),
      ROIS,
    );
    assert.equal(set.referencedSeriesInstanceUid, cases[0].seriesUid);
    assert.ok(set.rois.every((r) => r.contours.length > 0));
    assert.ok(set.rois[2].contours.length > set.rois[0].contours.length, 'the ring has inner contours (holes)');
  });

  it('rasterises every ROI as skimage does: Dice >= 0.99 per ROI, holes by even-odd', () => {
    set.rois.forEach((roi, n) => {
      const ref = new Uint8Array(fs.readFileSync(path.join(dir, 'rt', cases[0].patientId, `ref_${n + 1}.raw`)));
      const { mask, warnings } = rasterizeRoi(roi.contours, cases[0].geometry, roi.name);
      assert.deepEqual(warnings, []);
      const d = dice(mask, ref);
      assert.ok(d >= 0.99, `${roi.name}: Dice ${d.toFixed(4)} against skimage`);
      assert.ok(
        ref.some((v) => v > 0),
        `${roi.name}: the reference is not empty`,
      );
    });
  });

  // A 2 x 2 voxel square traced along its pixel borders on slice 1 of a 4 x 4 x 3 grid, shifted along z.
  const g: VolumeGeometry = {
    size: [4, 4, 3],
    spacing: [1, 1, 2],
    origin: [0, 0, 0],
    axes: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  };
  const square = (z: number, tilt = 0) => ({ points: Float64Array.from([0.5, 0.5, z, 2.5, 0.5, z, 2.5, 2.5, z + tilt, 0.5, 2.5, z + tilt]), referencedSopInstanceUid: '1.2.3' });
  const SLICES: [string, number, number, number | null, RegExp | null][] = [
    ['on the slice', 2, 0, 1, null],
    ['0.4 mm off (0.2 slices): still that slice, by position', 2.4, 0, 1, null],
    ['halfway between slices', 3, 0, null, /lies between slices 1 and 2/],
    ['beyond the last slice', 6, 0, null, /outside the series' 0..2/],
    ['tilted across 1.5 slices', 2, 3, null, /not parallel to the image slices/],
  ];
  for (const [name, z, tilt, slice, warning] of SLICES) {
    it(`places a contour ${name}`, () => {
      const { mask, warnings } = rasterizeRoi([square(z, tilt)], g, 'sq');
      if (slice === null) {
        assert.equal(
          mask.reduce((s, v) => s + v, 0),
          0,
        );
        assert.match(warnings.join('\n'), warning as RegExp);
        return;
      }
      assert.deepEqual(warnings, []);
      const on = [...mask.keys()].filter((v) => mask[v]);
      // Pixel centres (1,1), (2,1), (1,2), (2,2) of slice 1: i + 4 j + 16 k.
      assert.deepEqual(on, [21, 22, 25, 26]);
    });
  }

  it('ingests the structure sets with ROI names mapped through labels.json synonyms, unmatched ROIs reported', () => {
    const labels = path.join(dir, 'labels');
    fs.mkdirSync(labels, { recursive: true });
    for (const c of cases) fs.copyFileSync(path.join(dir, 'rt', c.patientId, 'rtstruct.dcm'), path.join(labels, `${c.patientId}.dcm`));
    fs.writeFileSync(path.join(labels, 'labels.json'), JSON.stringify({ 0: 'background', 1: { name: 'organ', synonyms: ['liver'] }, 2: 'lesion' }));
    const env = isolatedEnv(dir);
    const summary = JSON.parse(ok(cli(['ingest', path.join(dir, 'cohort', 'dicom'), '-d', 'rt', '--labels', labels, '--json'], env))) as { labelsMatched: number; issues: { reason: string }[] };
    assert.equal(summary.labelsMatched, 2);
    const reasons = summary.issues.map((i) => i.reason).join('\n');
    assert.match(reasons, /ROI "Organ ring" matches no class of labels.json \(organ, lesion; add it as a synonym\)/);
    assert.match(reasons, /ROI "Couch" matches no class/);
    const shown = JSON.parse(ok(cli(['dataset', 'show', 'rt', '--json'], env))) as { classMap: Record<string, string>; classVoxels: Record<string, number>; series: { label: { kind: string } | null }[] };
    assert.deepEqual(shown.classMap, { 0: 'background', 1: 'organ', 2: 'lesion' });
    assert.ok(shown.series.every((s) => s.label?.kind === 'rtstruct'));
    // "LIVER" (label >= 1) painted as organ, "Lesion" over it: the synthetic label maps come back.
    for (const cls of [1, 2]) {
      const want = cases.reduce((n, c) => n + c.labels.filter((v) => v === cls).length, 0);
      assert.ok(Math.abs(shown.classVoxels[cls] - want) <= 0.01 * want, `class ${cls}: ${shown.classVoxels[cls]} voxels, synthetic ${want}`);
    }
  });
});
