import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { CohortMismatchError, DEMO_COHORT, ensureSyntheticCohort, HARD, HARD_COHORT, SyntheticCohortManifestSchema, synthesizeCase } from '../../src/data/synthetic.js';
import { cli, isolatedEnv, tempDir } from '../helpers.js';

describe('synthetic cohorts', () => {
  it('keeps the easy demo voxel for voxel as it was before the difficulty knobs (README figures are measured on it)', () => {
    const h = crypto.createHash('sha256');
    for (let i = 0; i < 3; i++) {
      const c = synthesizeCase(i, DEMO_COHORT);
      h.update(Buffer.from(c.hu.buffer));
      h.update(Buffer.from(c.labels));
      h.update(JSON.stringify(c.geometry));
    }
    assert.equal(h.digest('hex'), 'f816e90f6de31087c1a817ade21d28915c3b9f1b32e54f49fc8e76a6145913c3');
  });

  it('makes the hard cohort as documented: coarse voxels, small, faint lesions', () => {
    let lesionVoxels = 0;
    let voxels = 0;
    const contrast: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = synthesizeCase(i, HARD_COHORT);
      const [px, , dz] = c.geometry.spacing;
      assert.ok(px >= HARD.pixelSpacingMm[0] && px <= HARD.pixelSpacingMm[1], `pixel ${px}`);
      assert.ok(dz >= HARD.sliceThicknessMm[0] && dz <= HARD.sliceThicknessMm[1], `slice ${dz}`);
      let organ = 0;
      let organN = 0;
      let lesion = 0;
      let lesionN = 0;
      c.labels.forEach((l, v) => {
        if (l === 1) {
          organ += c.hu[v];
          organN++;
        }
        if (l === 2) {
          lesion += c.hu[v];
          lesionN++;
        }
      });
      lesionVoxels += lesionN;
      voxels += c.labels.length;
      if (lesionN) contrast.push(lesion / lesionN - organ / organN);
    }
    const meanContrast = contrast.reduce((a, b) => a + b, 0) / contrast.length;
    // -18 HU nominal; the mean over hundreds of voxels of 15 HU noise is within a few HU of it.
    assert.ok(Math.abs(meanContrast + 18) < 4, `lesion - organ = ${meanContrast.toFixed(1)} HU`);
    const fraction = lesionVoxels / voxels;
    assert.ok(fraction > 0.00005 && fraction < 0.0005, `lesions are ${(100 * fraction).toFixed(4)} % of the voxels`);
  });
});

describe('ensureSyntheticCohort: a cohort folder is reused only for the parameters that made it', () => {
  // One small hard patient keeps each write well under a second.
  const cohort = (out: string, seed = 11, noiseHu = HARD.noiseHu) => ({ ...HARD_COHORT, patients: 1, slices: 8, out, seed, difficulty: { ...HARD, noiseHu } });
  const HINT = 'the caller says what to do';
  const labelsOf = (out: string) => fs.readFileSync(path.join(out, 'labels', 'SYN001.nii.gz'));

  it('writes the cohort with its manifest, and keeps it for the same parameters', () => {
    const out = path.join(tempDir('cohort'), 'c');
    assert.deepEqual(ensureSyntheticCohort(cohort(out), { hint: HINT }), { written: true });
    const manifest = SyntheticCohortManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'cohort.json'), 'utf8')));
    assert.deepEqual([manifest.seed, manifest.patients, manifest.difficulty.noiseHu], [11, 1, 15]);
    assert.deepEqual(ensureSyntheticCohort(cohort(out), { hint: HINT }), { written: false });
  });

  // [name, the second request, the error's pattern]
  const MISMATCHES: [string, (out: string) => ReturnType<typeof cohort>, RegExp][] = [
    ['another seed', (out) => cohort(out, 12), /already holds another synthetic cohort: seed 11 \(asked 12\); the caller says what to do$/],
    ['another noise', (out) => cohort(out, 11, 12), /difficulty\.noiseHu 15 \(asked 12\)/],
    ['more patients', (out) => ({ ...cohort(out), patients: 2 }), /patients 1 \(asked 2\)/],
  ];
  for (const [name, second, pattern] of MISMATCHES)
    it(`refuses ${name}, naming the difference, and leaves the folder as it was`, () => {
      const out = path.join(tempDir('cohort'), 'c');
      ensureSyntheticCohort(cohort(out), { hint: HINT });
      const before = labelsOf(out);
      assert.throws(
        () => ensureSyntheticCohort(second(out), { hint: HINT }),
        (e: unknown) => e instanceof CohortMismatchError && pattern.test(e.message),
      );
      assert.deepEqual(labelsOf(out), before);
    });

  it('regenerates with force', () => {
    const out = path.join(tempDir('cohort'), 'c');
    ensureSyntheticCohort(cohort(out), { hint: HINT });
    const before = labelsOf(out);
    assert.deepEqual(ensureSyntheticCohort(cohort(out, 12), { hint: HINT, force: true }), { written: true });
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'cohort.json'), 'utf8')).seed, 12);
    assert.notDeepEqual(labelsOf(out), before, 'another seed draws other lesions');
  });

  it('keeps a folder from before the manifest with a note, and refuses a manifest that is not one', () => {
    const out = path.join(tempDir('cohort'), 'c');
    ensureSyntheticCohort(cohort(out), { hint: HINT });
    const file = path.join(out, 'cohort.json');
    fs.rmSync(file);
    const kept = ensureSyntheticCohort(cohort(out, 12), { hint: HINT });
    assert.equal(kept.written, false);
    assert.match(kept.note ?? '', /written before cohort\.json was recorded: its parameters are unknown, so it may not be the one asked for \(the caller says what to do\)/);
    fs.writeFileSync(file, '{"format": "segfusion-synthetic-cohort"');
    assert.throws(() => ensureSyntheticCohort(cohort(out), { hint: HINT }), /cohort\.json is not a valid cohort manifest \(.*\): the caller says what to do/);
    fs.writeFileSync(file, JSON.stringify({ format: 'segfusion-synthetic-cohort', version: 2 }));
    assert.throws(() => ensureSyntheticCohort(cohort(out), { hint: HINT }), /not a valid cohort manifest/);
    fs.writeFileSync(file, ' '.repeat(65 * 1024));
    assert.throws(() => ensureSyntheticCohort(cohort(out), { hint: HINT }), /is 66560 bytes, not a cohort manifest \(at most 65536\)/);
  });

  it('segfusion demo refuses another seed in the same folder, and says how to get it', () => {
    const dir = tempDir('cohort-cli');
    const out = path.join(dir, 'hard');
    const env = isolatedEnv(dir);
    const first = cli(['demo', '--difficulty', 'hard', '--patients', '3', '--seed', '5', '--out', out], env);
    assert.equal(first.status, 0, first.stderr);
    const again = cli(['demo', '--difficulty', 'hard', '--patients', '3', '--seed', '5', '--out', out], env);
    assert.match(again.stdout, /already in .*, generated with the same parameters/);
    const other = cli(['demo', '--difficulty', 'hard', '--patients', '3', '--seed', '6', '--out', out], env);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /^error: .* already holds another synthetic cohort: seed 5 \(asked 6\); add --force to regenerate it, or --out to write the new one elsewhere$/m);
  });
});
