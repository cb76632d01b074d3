import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticCohort, type SyntheticCase } from '../src/data/synthetic.js';
import { Random } from '../src/util/random.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Debian's python3 (numpy, pydicom, nibabel), not a pyenv one earlier on PATH. */
export const PYTHON = '/usr/bin/python3';

const created: string[] = [];
// Each test file runs in its own process: its scratch folders (cohorts, databases, caches, exports:
// gigabytes over a few runs of the suite) go when it exits. SEGFUSION_KEEP_TEST_DIRS=1 keeps them.
process.on('exit', () => {
  if (process.env.SEGFUSION_KEEP_TEST_DIRS === '1') return;
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * This machine's PostgreSQL server (trust auth on 127.0.0.1, as on the project's machines and CI);
 * SEGFUSION_TEST_POSTGRES names another. Tests that need it fail when it is unreachable, never skip.
 */
export const POSTGRES_ADMIN = process.env.SEGFUSION_TEST_POSTGRES ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const databases: string[] = [];
process.on('exit', () => {
  if (process.env.SEGFUSION_KEEP_TEST_DIRS === '1') return;
  for (const name of databases) spawnSync('psql', [POSTGRES_ADMIN, '-q', '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], { encoding: 'utf8' });
});

/** A new, empty PostgreSQL database for this test file, dropped when the process exits; its URL. */
export function postgresDatabase(prefix: string): string {
  const name = `segfusion_test_${prefix.replace(/\W/g, '_')}_${process.pid}_${databases.length}`;
  const r = spawnSync('psql', [POSTGRES_ADMIN, '-q', '-c', `CREATE DATABASE "${name}"`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot create a PostgreSQL database at ${POSTGRES_ADMIN} (${r.error?.message ?? r.stderr.trim()}); the tests need this machine's PostgreSQL server`);
  databases.push(name);
  return POSTGRES_ADMIN.replace(/\/[^/]*$/, `/${name}`);
}

/** A fresh scratch folder under the system temp dir, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `segfusion-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Environment for a CLI run against its own database and cache. */
export function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  const { SEGFUSION_TOKEN: _token, PORT: _port, SEGFUSION_INGEST_ROOTS: _roots, ...env } = process.env;
  return { ...env, DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data'), SEGFUSION_LOG_LEVEL: 'warn' };
}

export function cli(args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), ...args], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A small synthetic cohort, sized for the 2-core CI machine. */
export function smallCohort(dir: string, patients = 3): SyntheticCase[] {
  return generateSyntheticCohort({ out: dir, patients, matrix: 64, slices: 12, seed: 7 });
}

/** The stdout of a CLI run that must succeed (the assertion shows its exit code and stderr otherwise). */
export function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A scratch folder with its own database, a small cohort ingested as `dataset` and `config` written to
 * run.json beside it: what the end-to-end training and study tests start from.
 */
export function trainingFixture(prefix: string, patients: number, dataset: string, config: unknown): { dir: string; env: NodeJS.ProcessEnv; configFile: string } {
  const dir = tempDir(prefix);
  const env = isolatedEnv(dir);
  smallCohort(path.join(dir, 'cohort'), patients);
  ok(cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', dataset, '--labels', path.join(dir, 'cohort', 'labels')], env));
  const configFile = path.join(dir, 'run.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  return { dir, env, configFile };
}

/** n standard-normal floats from a seeded generator: inputs of the kernel tests. */
export function normals(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** The largest absolute difference, relative to the larger of 1 and the reference's largest magnitude. */
export function maxRelativeError(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let scale = 1;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}
