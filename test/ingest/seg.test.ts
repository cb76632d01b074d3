import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { DatasetInfo } from '../../src/data/datasetInfo.js';
import { readVolume } from '../../src/data/volumeCache.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { PYTHON, ROOT, cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

describe('DICOM SEG labels (made with pydicom by test/fixtures/make-seg.py)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cases: SyntheticCase[];
  let summary: IngestSummary;
  let info: DatasetInfo;
  before(() => {
    dir = tempDir('seg');
    env = isolatedEnv(dir);
    cases = smallCohort(path.join(dir, 'cohort'), 3);
    const labels = path.join(dir, 'seglabels');
    fs.mkdirSync(labels);
    const make = (patient: string, kind: string, out: string) =>
      run(PYTHON, [path.join(ROOT, 'test', 'fixtures', 'make-seg.py'), path.join(dir, 'cohort', 'dicom', patient, 'CT_abdomen'), path.join(dir, 'cohort', 'labels', `${patient}.nii.gz`), out, kind]);
    // A binary SEG in the labels folder, a fractional one inside the DICOM export, and a SEG whose series is absent.
    make('SYN001', 'binary', path.join(labels, 'seg_syn001.dcm'));
    make('SYN002', 'fractional', path.join(dir, 'cohort', 'dicom', 'SYN002', 'seg_syn002'));
    make('SYN003', 'binary', path.join(labels, 'seg_syn003.dcm'));
    fs.rmSync(path.join(dir, 'cohort', 'dicom', 'SYN003'), { recursive: true });
    const r = cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'seg', '--labels', labels, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as IngestSummary;
    info = JSON.parse(cli(['dataset', 'show', 'seg', '--json'], env).stdout) as DatasetInfo;
  });

  it('does not treat a SEG object as an image series', () => {
    assert.equal(summary.series, 2);
  });

  for (const [patient, index, kind] of [
    ['SYN001', 0, 'binary'],
    ['SYN002', 1, 'fractional'],
  ] as const) {
    it(`paints the ${kind} SEG of ${patient} onto its series voxel for voxel`, () => {
      const s = info.series.find((x) => x.patientId === patient)!;
      assert.equal(s.label?.kind, 'seg');
      assert.deepEqual(readVolume(s.label!.volumePath).data, cases[index].labels);
    });
  }

  it('takes class names from the segment labels', () => {
    assert.deepEqual(info.classMap, { '0': 'background', '1': 'organ', '2': 'lesion' });
  });

  it('reports a SEG whose series is not in the dataset', () => {
    assert.equal(summary.labelsMatched, 2);
    assert.ok(
      summary.issues.some((i) => i.path.endsWith('seg_syn003.dcm') && /SEG not matched: referenced series .* not in the dataset/.test(i.reason)),
      JSON.stringify(summary.issues),
    );
  });
});
