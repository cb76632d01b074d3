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

  it("--froc: its curve is the tau mode's counts at the same taus, read as the product reads a FROC", () => {
    const rows = (JSON.parse(reference([dir, '--json', '--tau', '0,4,8']).stdout) as { rows: Row[] }).rows;
    const r = reference([dir, '--json', '--froc']);
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(r.stdout) as { rates: { falsePositivesPerCase: number; sensitivity: number }[]; cpm: number; curve: { tau: number; sensitivity: number; falsePositivesPerCase: number }[] };
    assert.equal(f.curve.length, 181, 'tau from 40 down to -5 in steps of 0.25');
    for (const row of rows) {
      const at = f.curve.find((c) => c.tau === row.tau);
      assert.deepEqual(at, { tau: row.tau, sensitivity: row.lesionsFound / row.lesions, falsePositivesPerCase: row.fpComponents / row.cases });
    }
    // Each rate: the best share found within it; the CPM their mean.
    for (const q of f.rates) assert.equal(q.sensitivity, Math.max(0, ...f.curve.filter((c) => c.falsePositivesPerCase <= q.falsePositivesPerCase).map((c) => c.sensitivity)));
    assert.ok(Math.abs(f.cpm - f.rates.reduce((a, q) => a + q.sensitivity, 0) / 7) < 1e-12);
    assert.deepEqual(
      f.rates.map((q) => q.falsePositivesPerCase),
      [0.125, 0.25, 0.5, 1, 2, 4, 8],
    );
  });
});
