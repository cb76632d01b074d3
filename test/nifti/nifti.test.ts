import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { readNifti, writeNifti, NiftiError } from '../../src/nifti/nifti.js';
import { PYTHON, run, tempDir } from '../helpers.js';

const AFFINES: [string, number[][]][] = [
  [
    'axis-aligned RAS',
    [
      [0.8, 0, 0, -10],
      [0, 0.8, 0, 20],
      [0, 0, 2.5, -30],
      [0, 0, 0, 1],
    ],
  ],
  [
    'LPS-like flips',
    [
      [-0.7, 0, 0, 90],
      [0, -0.7, 0, 80],
      [0, 0, 3, -40],
      [0, 0, 0, 1],
    ],
  ],
  [
    'permuted (sagittal)',
    [
      [0, 0, -1.5, 5],
      [1, 0, 0, -7],
      [0, 1.2, 0, 3],
      [0, 0, 0, 1],
    ],
  ],
];

describe('NIfTI write/read', () => {
  for (const [name, affine] of AFFINES) {
    it(`round-trips ${name} and nibabel reads the same qform and sform`, () => {
      const data = new Int16Array(4 * 3 * 2).map((_, i) => i - 7);
      const file = path.join(tempDir('nifti'), 'x.nii.gz');
      fs.writeFileSync(file, writeNifti({ dims: [4, 3, 2], affine, data }, true));
      const back = readNifti(fs.readFileSync(file));
      assert.deepEqual(back.dims, [4, 3, 2]);
      assert.deepEqual([...back.data], [...data]);
      back.affine.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - affine[r][c]) < 1e-5, `affine[${r}][${c}]`)));
      const py = JSON.parse(run(PYTHON, ['-c', 'import sys,json,nibabel as nib,numpy as np; i=nib.load(sys.argv[1]); print(json.dumps([i.get_qform().tolist(), i.get_sform().tolist()]))', file])) as number[][][];
      for (const m of py) m.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - affine[r][c]) < 1e-4, `nibabel affine[${r}][${c}] ${v}`)));
    });
  }

  it('names the problem for a file that is not NIfTI', () => {
    assert.throws(
      () => readNifti(Buffer.from('not a nifti file at all, just text padding'.repeat(10)), 'x.nii'),
      (e: unknown) => e instanceof NiftiError && /x.nii: not a NIfTI/.test(e.message),
    );
  });

  it('names the problem for a truncated file', () => {
    const full = writeNifti({ dims: [4, 4, 4], affine: AFFINES[0][1], data: new Uint8Array(64) }, false);
    assert.throws(() => readNifti(full.subarray(0, full.length - 10), 'cut.nii'), /cut.nii: truncated/);
  });

  it('bounds a .nii.gz by the size its header declares before inflating it (no gzip bomb)', () => {
    const header = writeNifti({ dims: [4, 4, 4], affine: AFFINES[0][1], data: new Uint8Array(64) }, false);
    const bomb = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]), { level: 9 });
    assert.ok(bomb.length < 200 * 1024);
    assert.throws(() => readNifti(bomb, 'bomb.nii.gz'), /bomb.nii.gz: gzip stream inflates beyond the \d+ bytes its header's dimensions need/);
    const fine = writeNifti({ dims: [4, 4, 4], affine: AFFINES[0][1], data: new Uint8Array(64).fill(3) }, true);
    assert.deepEqual([...readNifti(fine, 'ok.nii.gz').data].slice(0, 3), [3, 3, 3]);
  });

  it('refuses dimensions beyond the voxel limit before allocating', () => {
    const big = writeNifti({ dims: [4, 4, 4], affine: AFFINES[0][1], data: new Uint8Array(64) }, false);
    big.writeInt16LE(32767, 42);
    big.writeInt16LE(32767, 44);
    big.writeInt16LE(32767, 46);
    assert.throws(() => readNifti(big, 'huge.nii'), /huge.nii: dims 32767x32767x32767 give \d+ voxels, beyond the limit of 268435456/);
  });
});
