import os from 'node:os';
import type { Db } from '../db/client.js';
import { claimNextJob } from '../db/jobs.js';
import { workerIdOf } from '../db/workers.js';
import { logger } from '../util/logger.js';
import type { TrainingEvent } from '../train/events.js';
import { runIngestJob, type IngestEvent } from './ingestJobs.js';
import { reconcileRuns, runTrainingJob, type JobRunOptions } from './trainingJobs.js';

/** Everything a worker reports: training and ingest progress, and job status changes. */
export type WorkerEvent = TrainingEvent | IngestEvent | { type: 'job'; jobId: string; kind: string; runId: string | null; status: string } | { type: 'worker'; backend: string };

export interface WorkerOptions extends Omit<JobRunOptions, 'onEvent'> {
  onEvent?: (e: WorkerEvent) => void;
  /** Identifies this worker in the jobs and workers tables (default host:pid/0). */
  workerId?: string;
  /** Tags it offers: it takes jobs whose required tags it all has (default none: untagged jobs only). */
  tags?: string[];
  pollMs?: number;
  /** Return when the queue is empty instead of waiting for more jobs. */
  once?: boolean;
  signal?: AbortSignal;
}

/** Waits `ms`, or less when the signal aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Executes queued jobs one at a time (one training per worker slot: two on one slot would share its CPU
 * and both crawl), highest priority and oldest first, until the signal aborts (or, with `once`, until the
 * queue is empty). Several slots of one machine are a WorkerPool (workerPool.ts).
 */
export async function runWorker(db: Db, o: WorkerOptions): Promise<number> {
  const workerId = o.workerId ?? workerIdOf(os.hostname(), process.pid, 0);
  await reconcileRuns(db);
  let done = 0;
  while (!o.signal?.aborted) {
    const job = await claimNextJob(db, { id: workerId, tags: o.tags ?? [] });
    if (!job) {
      if (o.once) break;
      await sleep(o.pollMs ?? 1000, o.signal);
      continue;
    }
    logger.info({ job: job.id, kind: job.kind, run: job.runId, workerId }, 'job started');
    o.onEvent?.({ type: 'job', jobId: job.id, kind: job.kind, runId: job.runId, status: 'running' });
    let status = 'failed';
    try {
      if (job.kind === 'ingest') status = (await runIngestJob(db, job, { cacheDir: o.cacheDir, onEvent: o.onEvent })) ? 'completed' : 'failed';
      else status = (await runTrainingJob(db, job, { ...o, requeueOnStop: true, stopRequested: () => (o.signal?.aborted ?? false) || (o.stopRequested?.() ?? false) })).status;
      logger.info({ job: job.id, status }, 'job finished');
    } catch (err) {
      logger.error({ err, job: job.id }, 'job failed');
    }
    o.onEvent?.({ type: 'job', jobId: job.id, kind: job.kind, runId: job.runId, status });
    done++;
  }
  return done;
}
