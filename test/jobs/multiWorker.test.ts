import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { parseWorkerId } from '../../src/db/workers.js';
import { launchRun } from '../../src/jobs/trainingJobs.js';
import { cli, isolatedEnv, ok, postgresDatabase, ROOT, smallCohort, tempDir } from '../helpers.js';

const tiny = { dataset: 'shared', model: { depth: 2, baseFilters: 4 }, sampling: { patchSize: 16, batchSize: 2 }, epochs: 2, batchesPerEpoch: 2, split: { test: 0.25, validation: 0.34 } };
const LONG_EPOCHS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

function startWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'worker', '--backend', 'wasm'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (s: string) => out.push(...s.split('\n').filter(Boolean)));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => out.push(...s.split('\n').filter(Boolean)));
  return { child, out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

interface WorkerProcess {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
}

describe('three worker processes on one PostgreSQL queue and shared storage', () => {
  const workers: WorkerProcess[] = [];
  let db: Db | undefined;
  // The catalogue and shared storage of the first test, which the second reuses (its dataset is ingested).
  let workersUrl = '';
  let sharedStorage = '';
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    if (db) await closeDb(db);
  });

  it('share 30 queued trainings; one killed with SIGKILL mid-training: every job completes exactly once and the killed run resumes on another worker', { timeout: 400_000 }, async () => {
    const url = postgresDatabase('workers');
    const shared = tempDir('shared-storage');
    workersUrl = url;
    sharedStorage = shared;
    const base = { ...isolatedEnv(tempDir('server')), DATABASE_URL: url, SEGFUSION_STORAGE: shared, SEGFUSION_WORKER_LEASE_S: '5' };
    const cohort = path.join(tempDir('cohort'), 'c');
    smallCohort(cohort, 4);
    ok(cli(['ingest', path.join(cohort, 'dicom'), '--dataset', 'shared', '--labels', path.join(cohort, 'labels')], base));
    db = await openDb(url);
    // The long run has the highest priority, so a worker takes it first: the one that is killed.
    const long = await launchRun(db, { ...tiny, epochs: LONG_EPOCHS, batchesPerEpoch: 6, seed: 100 }, { owner: 'test', priority: 10 });
    for (let i = 0; i < 29; i++) await launchRun(db, { ...tiny, seed: i + 1 }, { owner: 'test' });

    for (let i = 0; i < 3; i++) {
      // Each worker has its own local data dir; only the database and SEGFUSION_STORAGE are shared.
      workers.push(startWorker({ ...base, SEGFUSION_DATA_DIR: tempDir(`worker${i}`) }));
    }
    const d = db;

    // Kill the worker training the long run once the checkpoint of its second epoch is recorded. Not on
    // epochsDone >= 2: the epoch's record is stored before its checkpoint is written, and a kill between
    // the two rightly resumes from the first epoch's checkpoint and trains the second again.
    const running = await until('the long run to checkpoint epoch 2', 180_000, async () => {
      const [run, latest] = await Promise.all([d.run.findUniqueOrThrow({ where: { id: long.run.id } }), d.artifact.findFirst({ where: { runId: long.run.id, kind: 'checkpoint-latest', epoch: { gte: 1 } } })]);
      return run.status === 'running' && latest && run.workerId ? run : null;
    });
    const pid = parseWorkerId(running.workerId ?? '')?.pid;
    const victim = workers.find((w) => w.child.pid === pid);
    assert.ok(victim, `the long run's worker ${running.workerId} is one of the three processes`);
    const killedAt = new Date();
    victim.child.kill('SIGKILL');
    await victim.exited;

    await until('all 30 jobs to complete', 300_000, async () => (await d.job.count({ where: { status: 'completed' } })) === 30);
    const survivors = workers.filter((w) => w !== victim);
    for (const w of survivors) w.child.kill('SIGTERM');
    const codes = await Promise.all(survivors.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], `survivors stop cleanly on SIGTERM: ${survivors.map((w) => w.out.slice(-5).join('\n')).join('\n---\n')}`);

    const jobs = await d.job.findMany();
    const runs = await d.run.findMany();
    assert.equal(jobs.length, 30, 'one job per run: nothing was queued twice');
    assert.deepEqual(
      runs.filter((r) => r.status !== 'completed').map((r) => `${r.id} ${r.status} ${r.error}`),
      [],
      'every run completed',
    );
    // Exactly once: each job's "completed" line is printed by one worker, once.
    const completions = workers.flatMap((w) => w.out.filter((l) => / completed$/.test(l)));
    for (const j of jobs) assert.equal(completions.filter((l) => l.includes(j.id)).length, 1, `job ${j.id} completed once: ${completions.filter((l) => l.includes(j.id)).join(' | ')}`);
    assert.equal(completions.length, 30);
    assert.ok(
      survivors.every((w) => w.out.some((l) => / completed$/.test(l))),
      'both surviving workers took jobs',
    );

    // The killed run: taken over by another worker, continued from its checkpoint (epochs before the
    // kill kept, none recorded twice), its worker marked lost.
    const longJob = jobs.find((j) => j.id === long.job.id);
    assert.equal(longJob?.attempts, 2, 'the long job ran twice: once on the killed worker, once resumed');
    assert.notEqual(longJob?.workerId, running.workerId);
    const longRun = runs.find((r) => r.id === long.run.id);
    assert.equal(longRun?.workerId, longJob?.workerId, 'the run records the worker that finished it');
    const epochs = await d.runEpoch.findMany({ where: { runId: long.run.id }, orderBy: { epoch: 'asc' } });
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [...Array(LONG_EPOCHS).keys()],
    );
    assert.ok(
      epochs.slice(0, 2).every((e) => e.createdAt < killedAt),
      'the first two epochs were kept from before the kill, not trained again',
    );
    const lost = await d.worker.findUniqueOrThrow({ where: { id: running.workerId ?? '' } });
    assert.equal(lost.status, 'lost');
    assert.ok(
      jobs.filter((j) => j.id !== long.job.id).every((j) => j.attempts === 1),
      'no other job ran twice',
    );
    const stopped = await d.worker.findMany({ where: { status: 'stopped' } });
    assert.equal(stopped.length, 2, 'the two survivors deregistered on SIGTERM');
  });

  it('a worker stopped with SIGTERM mid-training hands its run back to the queue, and the next worker finishes it', { timeout: 300_000 }, async () => {
    assert.ok(db);
    const d = db;
    const env = { ...isolatedEnv(tempDir('sigterm')), DATABASE_URL: workersUrl, SEGFUSION_STORAGE: sharedStorage, SEGFUSION_WORKER_LEASE_S: '5' };
    const { run, job } = await launchRun(d, { ...tiny, epochs: 6, batchesPerEpoch: 6, seed: 200 }, { owner: 'test' });
    const first = startWorker({ ...env, SEGFUSION_DATA_DIR: tempDir('first') });
    workers.push(first);
    await until('the run to pass epoch 1', 120_000, async () => {
      const r = await d.run.findUniqueOrThrow({ where: { id: run.id } });
      return r.status === 'running' && r.epochsDone >= 1;
    });
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const stopped = await d.run.findUniqueOrThrow({ where: { id: run.id } });
    assert.equal(stopped.status, 'interrupted', `not cancelled: nobody cancelled it (${stopped.error})`);
    assert.equal((await d.job.findUniqueOrThrow({ where: { id: job.id } })).status, 'queued');
    const second = startWorker({ ...env, SEGFUSION_DATA_DIR: tempDir('second') });
    workers.push(second);
    await until('the run to complete on the next worker', 120_000, async () => (await d.run.findUniqueOrThrow({ where: { id: run.id } })).status === 'completed');
    // The worker marks the job done after the run it trained: on a loaded machine the two are seconds apart.
    await until('its job to be marked done', 30_000, async () => (await d.job.findUniqueOrThrow({ where: { id: job.id } })).status !== 'running');
    const done = await d.job.findUniqueOrThrow({ where: { id: job.id } });
    assert.equal(done.status, 'completed');
    assert.equal(done.attempts, 2);
    assert.equal((await d.runEpoch.findMany({ where: { runId: run.id } })).length, 6);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });
});
