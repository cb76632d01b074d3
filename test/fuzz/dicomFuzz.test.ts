import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { cli, isolatedEnv, smallCohort, tempDir } from '../helpers.js';
import { runFuzz } from './runFuzz.js';

/**
 * Seeded mutation fuzzing (runFuzz.ts) in CI: 2,000 mutated files of six transfer syntaxes and two deep
 * sequences; `npm run fuzz:dicom -- --count N --seed S` runs it longer and keeps the failing inputs.
 */
describe('DICOM fuzzing (seed 20261201, 2,000 files)', () => {
  it('never crashes, hangs or leaks an engine error, stays within 256 MB of heap, and a one-line reason names each bad file', async () => {
    const dir = tempDir('fuzz');
    const report = await runFuzz({ count: 2000, seed: 20261201, dir });
    assert.deepEqual(report.failures, []);
    assert.equal(report.files, 2002);
    assert.ok(report.rejected > 1000 && report.accepted > 0, `accepted ${report.accepted}, rejected ${report.rejected}`);
    assert.ok(report.maxRss < 1024 * 1024 * 1024, `worker peaked at ${report.maxRss} bytes`);

    // The same files beside two good series in one folder: one ingest catalogues the good ones whole.
    const good = path.join(dir, 'good');
    const cases = smallCohort(good, 2);
    fs.renameSync(report.mutatedDir, path.join(good, 'dicom', 'mutated'));
    const r = cli(['ingest', path.join(good, 'dicom'), '--dataset', 'fuzz', '--json'], isolatedEnv(path.join(dir, 'db')));
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as IngestSummary;
    for (const c of cases) {
      const row = s.seriesTable.find((t) => t.seriesInstanceUid === c.seriesUid);
      assert.equal(row?.size, '64x64x12', `${c.seriesUid}: ${JSON.stringify(row)}`);
    }
    // Fewer than the worker's rejections: copies that keep a readable header join their source's series
    // and are left out there (duplicate SOP instance, other image size), with a warning instead.
    assert.ok(s.rejectedFiles > 1000, `${s.rejectedFiles} rejected`);
    for (const i of s.issues) assert.doesNotMatch(i.reason, /\n|TypeError|RangeError|undefined|Cannot read|Invalid typed array/);
  });
});
