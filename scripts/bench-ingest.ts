/**
 * npm run bench:ingest: files/s and MB/s of `segfusion ingest` (fresh catalogue each run) against
 * dcm2niix converting the same series, in the same run; medians of --runs repetitions. Prints JSON.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSyntheticCohort } from '../src/data/synthetic.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '8' },
    slices: { type: 'string', default: '256' },
    matrix: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
  },
});
const patients = Number(values.patients);
const slices = Number(values.slices);
const runs = Number(values.runs);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'segfusion-bench-'));
const cohort = path.join(root, 'cohort');
generateSyntheticCohort({ out: cohort, patients, matrix: Number(values.matrix), slices, seed: 11 });
const dicom = path.join(cohort, 'dicom');
const files = patients * slices;
const bytes = fs
  .readdirSync(dicom, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .reduce((s, e) => s + fs.statSync(path.join(e.parentPath, e.name)).size, 0);

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ours: number[] = [];
const ref: number[] = [];
for (let i = 0; i < runs; i++) {
  const work = path.join(root, `run${i}`);
  fs.mkdirSync(path.join(work, 'nii'), { recursive: true });
  const env = { ...process.env, DATABASE_URL: `file:${path.join(work, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(work, 'data') };
  // The catalogue is created (migrations applied) before timing: a one-off cost, not ingest throughput.
  timed(process.execPath, [path.join(import.meta.dirname, '..', 'bin', 'segfusion.js'), 'dataset', 'list'], env);
  ours.push(timed(process.execPath, [path.join(import.meta.dirname, '..', 'bin', 'segfusion.js'), 'ingest', dicom, '--dataset', 'bench'], env));
  ref.push(timed('dcm2niix', ['-z', 'n', '-b', 'n', '-o', path.join(work, 'nii'), dicom]));
  fs.rmSync(work, { recursive: true, force: true });
}
const s = median(ours);
const d = median(ref);
const mb = bytes / 1e6;
console.log(
  JSON.stringify(
    {
      files,
      megabytes: Number(mb.toFixed(1)),
      runs,
      segfusion: { seconds: Number(s.toFixed(3)), filesPerSec: Number((files / s).toFixed(1)), mbPerSec: Number((mb / s).toFixed(1)) },
      dcm2niix: { seconds: Number(d.toFixed(3)), filesPerSec: Number((files / d).toFixed(1)), mbPerSec: Number((mb / d).toFixed(1)) },
      ratio: Number((s / d).toFixed(2)),
      target: 1.5,
    },
    null,
    2,
  ),
);
fs.rmSync(root, { recursive: true, force: true });
