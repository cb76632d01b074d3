import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { connectedComponents } from '../../src/metrics/connectedComponents.js';
import { readNifti } from '../../src/nifti/nifti.js';
import { cli, isolatedEnv, ok, PYTHON, ROOT, tempDir } from '../helpers.js';

interface Row {
  tau: number;
  cases: number;
  lesionDice: number | null;
  sensitivity: number | null;
  precision: number | null;
  lesionsFound: number;
  lesions: number;
  fpComponents: number;
}

const reference = (args: string[]) => spawnSync(PYTHON, [path.join(ROOT, 'scripts', 'lesion_reference.py'), ...args], { encoding: 'utf8' });

/**
 * scripts/lesion_reference.py, the known-shape reference of docs/loss-fusion.md, on a hard demo cohort as
 * the product writes it: it reads the DICOM (pydicom) and labels (nibabel) in agreement with the
 * product's own reading, and its scores behave at the limits.
 */
describe('lesion_reference.py on a hard demo cohort', () => {
  const dir = path.join(tempDir('reference'), 'hard');
  ok(cli(['demo', '--difficulty', 'hard', '--patients', '2', '--seed', '31', '--out', dir], isolatedEnv(tempDir('reference-env'))));

  it('counts the lesions the product counts, finds some at tau 0 and paints nothing above every score', () => {
    const r = reference([dir, '--json', '--tau', '0,1000']);
    assert.equal(r.status, 0, r.stderr);
    const { patients, rows } = JSON.parse(r.stdout) as { patients: string[]; rows: Row[] };
    assert.deepEqual(patients, ['SYN001', 'SYN002']);
    // The product's count: 26-connected components of label 2 in the label maps it wrote.
    const lesions = patients.reduce((n, p) => {
      const img = readNifti(fs.readFileSync(path.join(dir, 'labels', `${p}.nii.gz`)));
      return (
        n +
        connectedComponents(
          Uint8Array.from(img.data, (v) => (v === 2 ? 1 : 0)),
          img.dims,
        ).count
      );
    }, 0);
    assert.ok(lesions >= 2, `the hard demo draws 1-3 lesions per patient: ${lesions}`);
    const [low, high] = rows;
    assert.equal(low.lesions, lesions);
    assert.equal(high.lesions, lesions);
    assert.ok(low.lesionsFound >= 1 && low.lesionsFound <= lesions, `found ${low.lesionsFound} of ${lesions}`);
    assert.ok(low.lesionDice !== null && low.lesionDice > 0 && low.lesionDice <= 1, `Dice ${low.lesionDice}`);
    assert.ok(low.sensitivity !== null && low.sensitivity > 0 && low.sensitivity <= 1);
    assert.deepEqual({ dice: high.lesionDice, sensitivity: high.sensitivity, precision: high.precision, found: high.lesionsFound, fp: high.fpComponents }, { dice: 0, sensitivity: 0, precision: null, found: 0, fp: 0 });
  });

  it('refuses a cohort whose lesions are not what it is told (wrong contrast, or misaligned labels)', () => {
    const r = reference([dir, '--json', '--contrast', '18']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SYN001: lesions are -\d+\.\d HU off the organ, not 18\.0/);
  });
});
