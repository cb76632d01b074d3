/**
 * npm run bench:api: latency of the dashboard's API under load while workers train. For each database
 * (--database sqlite|postgres|both, default both; PostgreSQL from SEGFUSION_BENCH_POSTGRES, default this
 * machine's): a small cohort is ingested, one run trained (its cases and slices are what the clients
 * read), `segfusion serve --no-worker` started on 127.0.0.1 and 2 `segfusion worker` processes set to
 * train 2 long runs; then --clients (default 50) concurrent clients loop over the runs list, a run page,
 * a live run's curves and a slice PNG for --seconds (default 15, at most 120), once with no training as
 * the reference (run 0), then --runs times (default 3) while both workers train.
 * Loopback only, bounded in time and clients. Prints one JSON object: p50/p99/max latency per endpoint
 * and run, request rate, status counts, and whether any answer was a 5xx.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSyntheticCohort } from '../src/data/synthetic.js';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'both' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '15' },
    runs: { type: 'string', default: '3' },
  },
});
if (!['sqlite', 'postgres', 'both'].includes(values.database as string)) throw new Error(`--database must be sqlite, postgres or both, got "${values.database}"`);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (!Number.isInteger(clients) || clients < 1 || clients > 200) throw new Error(`--clients must be 1 to 200, got ${values.clients}`);
if (!(seconds >= 1 && seconds <= 120)) throw new Error(`--seconds must be 1 to 120, got ${values.seconds}`);
if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error(`--runs must be 1 to 10, got ${values.runs}`);
const admin = process.env.SEGFUSION_BENCH_POSTGRES ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const databases = (values.database === 'both' ? ['sqlite', 'postgres'] : [values.database]) as ('sqlite' | 'postgres')[];
const cliPath = path.join(import.meta.dirname, '..', 'bin', 'segfusion.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'segfusion-bench-api-'));
const cohort = path.join(root, 'cohort');
generateSyntheticCohort({ out: cohort, patients: 6, matrix: 64, slices: 16, seed: 5 });
const log = (m: string) => process.stderr.write(`${m}\n`);

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [cliPath, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`segfusion ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(1)) : null;
};

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function measure(base: string, targets: { name: string; path: string }[]): Promise<Record<string, unknown>> {
  const latencies: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  const statuses: Record<string, number> = {};
  const end = Date.now() + seconds * 1000;
  let i = 0;
  const client = async () => {
    while (Date.now() < end) {
      const t = targets[i++ % targets.length];
      const t0 = performance.now();
      const res = await fetch(`${base}${t.path}`);
      await res.arrayBuffer();
      latencies[t.name].push(performance.now() - t0);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const total = Object.values(latencies).reduce((s, l) => s + l.length, 0);
  return {
    requests: total,
    perSecond: Number((total / seconds).toFixed(1)),
    statuses,
    endpoints: Object.fromEntries(Object.entries(latencies).map(([name, l]) => [name, { n: l.length, p50Ms: percentile(l, 50), p99Ms: percentile(l, 99), maxMs: percentile(l, 100) }])),
  };
}

const results: Record<string, unknown>[] = [];
for (const database of databases) {
  const work = path.join(root, database);
  const name = `segfusion_bench_api_${process.pid}`;
  if (database === 'postgres') spawnSync('psql', [admin, '-q', '-c', `CREATE DATABASE "${name}"`], { encoding: 'utf8' });
  // No SEGFUSION_TOKEN: the clients are on loopback, where the server needs none.
  const { SEGFUSION_TOKEN: _token, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    DATABASE_URL: database === 'sqlite' ? `file:${path.join(work, 'db.sqlite')}` : admin.replace(/\/[^/]*$/, `/${name}`),
    SEGFUSION_DATA_DIR: path.join(work, 'server'),
    SEGFUSION_STORAGE: path.join(work, 'storage'),
    SEGFUSION_LOG_LEVEL: 'error',
  };
  const children: ChildProcess[] = [];
  try {
    log(`${database}: ingest and one training for the clients to read`);
    cli(['ingest', path.join(cohort, 'dicom'), '--dataset', 'bench', '--labels', path.join(cohort, 'labels')], env);
    const trained = JSON.parse(cli(['train', '--dataset', 'bench', '--epochs', '2', '--batches-per-epoch', '4', '--patch-size', '32', '--batch-size', '2', '--json'], env).trim().split('\n').pop() as string) as {
      runId?: string;
      id?: string;
    };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    children.push(spawn(process.execPath, [cliPath, 'serve', '--no-worker', '--no-demo', '--port', String(port)], { env, stdio: 'ignore' }));
    await waitFor('the server', async () => (await fetch(`${base}/api/health`)).ok);
    const listed = (await (await fetch(`${base}/api/runs`)).json()) as { items: { id: string }[] };
    const doneId = trained.runId ?? trained.id ?? listed.items[0].id;
    const report = (await (await fetch(`${base}/api/runs/${doneId}`)).json()) as { cases: { split: string; seriesInstanceUid: string }[] };
    const series = report.cases.find((c) => c.split === 'test')?.seriesInstanceUid;
    if (!series) throw new Error('the trained run has no test case to read slices of');
    const long = { dataset: 'bench', epochs: 200, batchesPerEpoch: 50, sampling: { patchSize: 32, batchSize: 2 } };
    const live: string[] = [];
    for (let k = 0; k < 2; k++) {
      const r = (await (await fetch(`${base}/api/runs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `bench load ${k}`, config: { ...long, seed: k + 1 } }) })).json()) as {
        run: { id: string };
      };
      if (!r.run) throw new Error(`cannot queue a load run: ${JSON.stringify(r)}`);
      live.push(r.run.id);
    }
    const targets = [
      { name: 'runs list', path: '/api/runs' },
      { name: 'run page', path: `/api/runs/${doneId}` },
      { name: 'curves (live run)', path: `/api/runs/${live[0]}/curves` },
      { name: 'slice png', path: `/api/runs/${doneId}/cases/${series}/slices/8.png` },
    ];
    // Warm-up (first reads of each endpoint), then the reference: the same load with no training.
    for (const t of targets) await (await fetch(`${base}${t.path}`)).arrayBuffer();
    log(`${database}: ${clients} clients for ${seconds} s, no training (reference)`);
    results.push({ database, run: 0, clients, seconds, workersTraining: 0, ...(await measure(base, targets)) });
    for (let k = 0; k < 2; k++) children.push(spawn(process.execPath, [cliPath, 'worker'], { env: { ...env, SEGFUSION_DATA_DIR: path.join(work, `worker${k}`) }, stdio: 'ignore' }));
    await waitFor('both workers to train', async () => {
      const r = (await (await fetch(`${base}/api/runs?status=running`)).json()) as { items: unknown[] };
      return r.items.length === 2;
    });
    for (let r = 0; r < runs; r++) {
      log(`${database}: run ${r + 1}/${runs}, ${clients} clients for ${seconds} s while 2 workers train`);
      const m = await measure(base, targets);
      const training = (await (await fetch(`${base}/api/runs?status=running`)).json()) as { items: unknown[] };
      results.push({ database, run: r + 1, clients, seconds, workersTraining: training.items.length, ...m });
    }
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    if (database === 'postgres') spawnSync('psql', [admin, '-q', '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], { encoding: 'utf8' });
  }
}
fs.rmSync(root, { recursive: true, force: true });
const fiveHundreds = results.reduce((s, r) => s + Object.entries(r.statuses as Record<string, number>).reduce((t, [code, n]) => t + (Number(code) >= 500 ? n : 0), 0), 0);
console.log(JSON.stringify({ bench: 'api', host: os.hostname(), cores: os.availableParallelism(), results, serverErrors5xx: fiveHundreds }, null, 1));
if (fiveHundreds > 0) process.exitCode = 1;
