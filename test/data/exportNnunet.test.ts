import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { NnunetDatasetJsonSchema } from '../../src/data/exportNnunet.js';
import { PYTHON, cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

// nibabel reorients both images to the closest canonical (RAS) orientation, so dcm2niix's row flip
// does not matter: affines and voxel values must then agree.
const COMPARE = `
import sys, json, nibabel as nib, numpy as np
ours = nib.as_closest_canonical(nib.load(sys.argv[1]))
ref = nib.as_closest_canonical(nib.load(sys.argv[2]))
print(json.dumps({
  "affine_diff": float(np.abs(ours.affine - ref.affine).max()),
  "data_diff": float(np.abs(ours.get_fdata() - ref.get_fdata()).max()),
  "shape_equal": ours.shape == ref.shape,
}))
`;

describe('segfusion dataset export --format nnunet', () => {
  let dir: string;
  let out: string;
  before(() => {
    dir = tempDir('export');
    const env = isolatedEnv(dir);
    smallCohort(path.join(dir, 'cohort'), 2);
    const ingest = cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'exp', '--labels', path.join(dir, 'cohort', 'labels')], env);
    assert.equal(ingest.status, 0, ingest.stderr);
    out = path.join(dir, 'nnunet');
    const r = cli(['dataset', 'export', 'exp', '--format', 'nnunet', '--out', out], env);
    assert.equal(r.status, 0, r.stderr);
  });

  it('writes the nnU-Net v2 raw layout and dataset.json', () => {
    assert.deepEqual(fs.readdirSync(path.join(out, 'imagesTr')).sort(), ['SYN001_0000.nii.gz', 'SYN002_0000.nii.gz']);
    assert.deepEqual(fs.readdirSync(path.join(out, 'labelsTr')).sort(), ['SYN001.nii.gz', 'SYN002.nii.gz']);
    const json = NnunetDatasetJsonSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'dataset.json'), 'utf8')));
    assert.deepEqual(json.channel_names, { '0': 'CT' });
    assert.deepEqual(json.labels, { background: 0, organ: 1, lesion: 2 });
    assert.equal(json.numTraining, 2);
  });

  it('agrees with dcm2niix on geometry and HU (compared with nibabel)', () => {
    const ref = path.join(dir, 'dcm2niix');
    fs.mkdirSync(ref);
    run('dcm2niix', ['-z', 'y', '-b', 'n', '-f', 'ref', '-o', ref, path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen')]);
    const result = JSON.parse(run(PYTHON, ['-c', COMPARE, path.join(out, 'imagesTr', 'SYN001_0000.nii.gz'), path.join(ref, 'ref.nii.gz')])) as {
      affine_diff: number;
      data_diff: number;
      shape_equal: boolean;
    };
    assert.ok(result.shape_equal);
    assert.ok(result.affine_diff < 1e-3, `affines differ by ${result.affine_diff} mm`);
    assert.equal(result.data_diff, 0);
  });

  it('writes labels on the image grid (same affine per nibabel)', () => {
    const result = JSON.parse(
      run(PYTHON, [
        '-c',
        'import sys,json,nibabel as nib,numpy as np; a=nib.load(sys.argv[1]); b=nib.load(sys.argv[2]); print(json.dumps({"d": float(np.abs(a.affine-b.affine).max()), "labels": sorted(int(v) for v in np.unique(b.get_fdata()))}))',
        path.join(out, 'imagesTr', 'SYN001_0000.nii.gz'),
        path.join(out, 'labelsTr', 'SYN001.nii.gz'),
      ]),
    ) as { d: number; labels: number[] };
    assert.equal(result.d, 0);
    assert.deepEqual(result.labels, [0, 1, 2]);
  });
});
