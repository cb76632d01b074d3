import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { JobTagError, queuesFor } from '../../src/db/jobQueue.js';
import { claimNextJob, enqueueJob, jobControl, requestCancel } from '../../src/db/jobs.js';
import { reapLostWorkers, registerWorker, workerHeartbeat } from '../../src/db/workers.js';
import { queueIngest, runIngestJob } from '../../src/jobs/ingestJobs.js';
import { postgresDatabase, tempDir } from '../helpers.js';

describe('worker tags name the queues a worker polls', () => {
  it('every subset of its tags, the most specific first; bad tags are refused with the tag', () => {
    assert.deepEqual(queuesFor([]), ['segfusion']);
    assert.deepEqual(queuesFor(['gpu', 'bigmem']), ['segfusion.bigmem.gpu', 'segfusion.bigmem', 'segfusion.gpu', 'segfusion']);
    assert.throws(
      () => queuesFor(['GPU']),
      (e: unknown) => e instanceof JobTagError && /"GPU"/.test(e.message),
    );
    assert.throws(() => queuesFor(['a', 'b', 'c', 'd', 'e']), /at most 4 tags, got 5/);
  });
});

const databases = [
  { name: 'SQLite', url: () => `file:${path.join(tempDir('queue'), 'db.sqlite')}`, retries: false },
  { name: 'PostgreSQL (pg-boss)', url: () => postgresDatabase('queue'), retries: true },
];

for (const t of databases) {
  describe(`the job queue on ${t.name}`, () => {
    let db: Db;
    let url: string;
    before(async () => {
      url = t.url();
      db = await openDb(url);
    });
    after(async () => closeDb(db));

    const worker = (id: string, tags: string[] = []) => ({ id, tags });
    const drain = async () => {
      await db.job.deleteMany();
      while (await claimNextJob(db, worker('drain', ['gpu', 'bigmem']))) {
        /* empties pg-boss's queues too */
      }
    };

    it('hands out the highest priority first, then the oldest; a job requiring tags only to a worker that has them all', async () => {
      const low = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] }, priority: -1 });
      const normal = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] } });
      const urgent = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] }, priority: 5 });
      const gpu = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] }, tags: ['gpu'], priority: 100 });
      const order = [];
      for (;;) {
        const j = await claimNextJob(db, worker('cpu'));
        if (!j) break;
        order.push(j.id);
      }
      assert.deepEqual(order, [urgent.id, normal.id, low.id], 'a worker without tags never gets the gpu job');
      const g = await claimNextJob(db, worker('big', ['bigmem', 'gpu']));
      assert.equal(g?.id, gpu.id);
      assert.equal(g?.attempts, 1);
      assert.equal(g?.workerId, 'big');
      await drain();
    });

    it('a cancel reaches a running job on whichever worker runs it; a queued job is cancelled at once and never handed out', async () => {
      const a = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] } });
      const b = await enqueueJob(db, { kind: 'ingest', payload: { dataset: 'x', paths: ['/nowhere'] } });
      const claimed = await claimNextJob(db, worker('w1'));
      assert.equal(claimed?.id, a.id);
      assert.equal(await jobControl(db, a.id, 'w1'), 'continue');
      await requestCancel(db, a.id);
      assert.equal(await jobControl(db, a.id, 'w1'), 'cancel');
      assert.equal((await requestCancel(db, b.id))?.status, 'cancelled');
      assert.equal(await claimNextJob(db, worker('w2')), null);
      await drain();
    });

    it(`a worker whose lease ran out is lost; its job ${t.retries ? 'goes back on the queue and another worker takes it (attempt 2)' : 'is interrupted'}, and the lost one is told to stop`, async () => {
      await registerWorker(db, { id: 'dead', host: 'h', pid: 1, slot: 0, backend: 'wasm', version: 'test', tags: [] });
      await registerWorker(db, { id: 'alive', host: 'h', pid: 2, slot: 0, backend: 'wasm', version: 'test', tags: [] });
      const job = await enqueueJob(db, { kind: 'train', payload: { resume: false } });
      assert.equal((await claimNextJob(db, worker('dead')))?.id, job.id);
      await db.worker.update({ where: { id: 'dead' }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
      await workerHeartbeat(db, ['alive']);
      const reaped = await reapLostWorkers(db, 30_000);
      assert.deepEqual(reaped.workers, ['dead']);
      assert.deepEqual(await reapLostWorkers(db, 30_000), { workers: [], requeued: [], interrupted: [] }, 'a second reaper finds nothing');
      assert.equal(await jobControl(db, job.id, 'dead'), 'lost');
      if (t.retries) {
        assert.deepEqual(reaped.requeued, [job.id]);
        // The train queue's retry delay is 1 s.
        await new Promise((r) => setTimeout(r, 1500));
        const again = await claimNextJob(db, worker('alive'));
        assert.equal(again?.id, job.id);
        assert.equal(again?.attempts, 2);
      } else {
        assert.deepEqual(reaped.interrupted, [job.id]);
        assert.equal((await db.job.findUniqueOrThrow({ where: { id: job.id } })).status, 'interrupted');
      }
      assert.equal((await db.worker.findUniqueOrThrow({ where: { id: 'dead' } })).status, 'lost');
      await workerHeartbeat(db, ['dead']);
      assert.equal((await db.worker.findUniqueOrThrow({ where: { id: 'dead' } })).status, 'idle', 'a lost worker that reports again is back');
      await drain();
    });

    it(`a failed ingest ${t.retries ? 'is retried with jittered exponential backoff (15-30 s, then 30-60 s) and keeps its error meanwhile' : 'fails (no retries without pg-boss)'}`, async () => {
      const cacheDir = tempDir('queue-cache');
      const job = await queueIngest(db, { dataset: 'missing', paths: [path.join(cacheDir, 'no-such-folder')] });
      const first = await claimNextJob(db, worker('w'));
      assert.ok(first);
      assert.equal(await runIngestJob(db, first, { cacheDir }), null);
      const row = await db.job.findUniqueOrThrow({ where: { id: job.id } });
      assert.match(row.error ?? '', /no-such-folder/);
      if (!t.retries) {
        assert.equal(row.status, 'failed');
        return;
      }
      assert.equal(row.status, 'queued');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const delay = async () => {
          const { rows } = await client.query<{ state: string; retry_count: number; wait: number }>('SELECT state, retry_count, EXTRACT(EPOCH FROM start_after - now())::float AS wait FROM pgboss.job WHERE id = $1', [job.id]);
          return rows[0];
        };
        const d1 = await delay();
        assert.equal(d1.state, 'retry');
        assert.ok(d1.wait > 14 && d1.wait <= 30, `first retry in 15-30 s, got ${d1.wait}`);
        assert.equal(await claimNextJob(db, worker('w')), null, 'not before its delay');
        // Let the delay pass, fail again: the next wait doubles (pg-boss: delay x 2^n / 2 x (1 + random)).
        await client.query('UPDATE pgboss.job SET start_after = now() WHERE id = $1', [job.id]);
        const second = await claimNextJob(db, worker('w'));
        assert.equal(second?.attempts, 2);
        assert.ok(second);
        await runIngestJob(db, second, { cacheDir });
        const d2 = await delay();
        assert.equal(d2.retry_count, 1, 'pg-boss counts the retries taken: one so far');
        assert.ok(d2.wait > 29 && d2.wait <= 60, `second retry in 30-60 s, got ${d2.wait}`);
      } finally {
        await client.end();
      }
      await drain();
    });
  });
}
