/**
 * npm run bench:ingest: files/s and MB/s of `segfusion ingest` (fresh catalogue each run) on SQLite and
 * on PostgreSQL (--database sqlite|postgres|both, default both; the server of SEGFUSION_BENCH_POSTGRES,
 * default this machine's) against dcm2niix converting the same series, interleaved in each round;
 * medians of --runs rounds. Prints JSON.
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
    database: { type: 'string', default: 'both' },
  },
});
if (!['sqlite', 'postgres', 'both'].includes(values.database as string)) throw new Error(`--database must be sqlite, postgres or both, got "${values.database}"`);
const admin = process.env.SEGFUSION_BENCH_POSTGRES ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const databases = (values.database === 'both' ? ['sqlite', 'postgres'] : [values.database]) as ('sqlite' | 'postgres')[];
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

const ours: Record<'sqlite' | 'postgres', number[]> = { sqlite: [], postgres: [] };
const ref: number[] = [];
const cliPath = path.join(import.meta.dirname, '..', 'bin', 'segfusion.js');
const psql = (sql: string) => timed('psql', [admin, '-q', '-c', sql]);
for (let i = 0; i < runs; i++) {
  for (const database of databases) {
    const work = path.join(root, `run${i}-${database}`);
    const name = `segfusion_bench_${process.pid}_${i}`;
    if (database === 'postgres') psql(`CREATE DATABASE "${name}"`);
    const env = { ...process.env, DATABASE_URL: database === 'sqlite' ? `file:${path.join(work, 'db.sqlite')}` : admin.replace(/\/[^/]*$/, `/${name}`), SEGFUSION_DATA_DIR: path.join(work, 'data') };
    // The catalogue is created (migrations applied) before timing: a one-off cost, not ingest throughput.
    timed(process.execPath, [cliPath, 'dataset', 'list'], env);
    ours[database].push(timed(process.execPath, [cliPath, 'ingest', dicom, '--dataset', 'bench'], env));
    if (database === 'postgres') psql(`DROP DATABASE "${name}" WITH (FORCE)`);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const work = path.join(root, `run${i}-dcm2niix`);
  fs.mkdirSync(work, { recursive: true });
  ref.push(timed('dcm2niix', ['-z', 'n', '-b', 'n', '-o', work, dicom]));
  fs.rmSync(work, { recursive: true, force: true });
}
const d = median(ref);
const mb = bytes / 1e6;
const side = (seconds: number[]) => {
  const t = median(seconds);
  return { seconds: Number(t.toFixed(3)), filesPerSec: Number((files / t).toFixed(1)), mbPerSec: Number((mb / t).toFixed(1)), ratio: Number((t / d).toFixed(2)), ratioRounds: seconds.map((v, i) => Number((v / ref[i]).toFixed(2))) };
};
console.log(
  JSON.stringify(
    {
      files,
      megabytes: Number(mb.toFixed(1)),
      runs,
      ...Object.fromEntries(databases.map((db) => [db === 'sqlite' ? 'segfusion' : 'segfusionPostgres', side(ours[db])])),
      dcm2niix: { seconds: Number(d.toFixed(3)), filesPerSec: Number((files / d).toFixed(1)), mbPerSec: Number((mb / d).toFixed(1)) },
      target: 1.5,
    },
    null,
    2,
  ),
);
fs.rmSync(root, { recursive: true, force: true });
