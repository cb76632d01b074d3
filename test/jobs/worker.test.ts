import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../../src/db/client.js';
import { claimNextJob, requestCancel } from '../../src/db/jobs.js';
import { ingest } from '../../src/ingest/ingest.js';
import { SplitError } from '../../src/data/split.js';
import { launchRun, reconcileRuns } from '../../src/jobs/trainingJobs.js';
import { runWorker, type WorkerEvent } from '../../src/jobs/worker.js';

import { smallCohort, tempDir } from '../helpers.js';

const config = { dataset: 'jobs', model: { depth: 2, baseFilters: 4 }, sampling: { patchSize: 16, batchSize: 2 }, epochs: 2, batchesPerEpoch: 3, split: { test: 0.25, validation: 0.34 } };

describe('training jobs and the worker', () => {
  let dir: string;
  let db: Db;

  before(async () => {
    dir = tempDir('jobs');
    db = await openDb(`file:${path.join(dir, 'db.sqlite')}`);
    smallCohort(path.join(dir, 'cohort'), 4);
    await ingest(db, { dataset: 'jobs', paths: [path.join(dir, 'cohort', 'dicom')], labelsDir: path.join(dir, 'cohort', 'labels'), cacheDir: path.join(dir, 'cache') });
  });
  after(async () => db.$disconnect());

  it('refuses at launch a split the dataset cannot fill, and stores nothing', async () => {
    await assert.rejects(
      launchRun(db, { ...config, split: { test: 0.25, validation: 0.2, fold: { index: 0, folds: 5 } } }, { owner: 'test' }),
      (e: unknown) => e instanceof SplitError && /5-fold cross-validation needs at least 5 non-test patients, the dataset has 3/.test(e.message),
    );
    assert.equal(await db.run.count(), 0);
  });

  it('claims the oldest queued job once, however many workers ask', async () => {
    const a = await launchRun(db, config, { owner: 'test' });
    const b = await launchRun(db, config, { owner: 'test' });
    const first = await claimNextJob(db, { id: 'w1', tags: [] });
    assert.equal(first?.id, a.job.id);
    const second = await claimNextJob(db, { id: 'w2', tags: [] });
    assert.equal(second?.id, b.job.id);
    assert.equal(await claimNextJob(db, { id: 'w3', tags: [] }), null);
    await db.job.deleteMany();
    await db.run.deleteMany();
  });

  it('a cancel through the job API: a queued job is cancelled at once, a running one at its next batch', async () => {
    const running = await launchRun(db, config, { owner: 'test' });
    const queued = await launchRun(db, config, { owner: 'test' });
    assert.equal((await requestCancel(db, queued.job.id))?.status, 'cancelled');
    assert.equal((await db.run.findUnique({ where: { id: queued.run.id } }))?.status, 'cancelled');
    const batches: number[] = [];
    const onEvent = (e: WorkerEvent) => {
      if (e.type !== 'batch') return;
      batches.push(e.step);
      if (e.step === 2) void requestCancel(db, running.job.id);
    };
    const done = await runWorker(db, { cacheDir: path.join(dir, 'cache'), runsDir: path.join(dir, 'runs'), once: true, pollMs: 10, onEvent });
    assert.equal(done, 1, 'the cancelled queued job is never executed');
    const job = await db.job.findUnique({ where: { id: running.job.id } });
    const run = await db.run.findUnique({ where: { id: running.run.id } });
    assert.equal(job?.status, 'cancelled');
    assert.equal(run?.status, 'cancelled');
    // Requested during batch 2, seen before batch 3 (the request's write may still be in flight: one more).
    assert.ok(batches.length <= 4, `ran ${batches.length} batches for a cancel at batch 2`);
  });

  it('a worker stopped mid-run on SQLite interrupts the run and re-queues its job; the next worker resumes it from its checkpoint', async () => {
    const { run, job } = await launchRun(db, config, { owner: 'test' });
    const stop = new AbortController();
    const cacheDir = path.join(dir, 'cache');
    const runsDir = path.join(dir, 'runs');
    // Stop in epoch 1, after epoch 0's checkpoint, as SIGTERM does to `segfusion worker` (it aborts the signal).
    const jobEvents: string[] = [];
    const onEvent = (e: WorkerEvent) => {
      if (e.type === 'batch' && e.step > config.batchesPerEpoch) stop.abort();
      if (e.type === 'job') jobEvents.push(e.status);
    };
    await runWorker(db, { cacheDir, runsDir, pollMs: 10, signal: stop.signal, onEvent });
    assert.deepEqual(jobEvents, ['running', 'interrupted'], 'the worker says the job was interrupted, not cancelled');
    const stopped = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    assert.equal(stopped.status, 'interrupted', `nobody cancelled it (${stopped.error})`);
    assert.match(stopped.error ?? '', /stopped during the run; another worker continues it/);
    const requeued = await db.job.findUniqueOrThrow({ where: { id: job.id } });
    assert.deepEqual([requeued.status, requeued.workerId, requeued.attempts], ['queued', null, 1]);
    const epochs: number[] = [];
    const resumed = (e: WorkerEvent) => {
      if (e.type === 'epoch') epochs.push(e.epoch);
    };
    assert.equal(await runWorker(db, { cacheDir, runsDir, once: true, pollMs: 10, onEvent: resumed }), 1);
    const done = await db.job.findUniqueOrThrow({ where: { id: job.id } });
    assert.deepEqual([done.status, done.attempts], ['completed', 2]);
    assert.equal((await db.run.findUniqueOrThrow({ where: { id: run.id } })).status, 'completed');
    assert.deepEqual(epochs, [1], 'resumed after epoch 0, not from the start');
  });

  it('marks a run whose process died as interrupted (with its job), and leaves live ones alone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
    const a = await launchRun(db, config, { owner: 'test' });
    const b = await launchRun(db, config, { owner: 'test' });
    await db.run.update({ where: { id: a.run.id }, data: { status: 'running', pid: dead, host: os.hostname() } });
    await db.job.update({ where: { id: a.job.id }, data: { status: 'running' } });
    await db.run.update({ where: { id: b.run.id }, data: { status: 'running', pid: process.ppid, host: os.hostname() } });
    assert.deepEqual(await reconcileRuns(db), [a.run.id]);
    assert.equal((await db.run.findUnique({ where: { id: a.run.id } }))?.status, 'interrupted');
    assert.equal((await db.job.findUnique({ where: { id: a.job.id } }))?.status, 'interrupted');
    assert.equal((await db.run.findUnique({ where: { id: b.run.id } }))?.status, 'running');
  });
});
