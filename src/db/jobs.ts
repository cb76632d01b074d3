import { randomUUID } from 'node:crypto';
import type { Db } from './client.js';
import { cancelQueued, completeQueued, failQueued, fetchJob, hasQueue, normalizeTags, parseTags, sendJob } from './jobQueue.js';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** What a new job is: its kind, run, payload, priority (higher first; default 0) and required worker tags. */
export interface JobSpec {
  kind: 'train' | 'ingest';
  runId?: string;
  payload?: unknown;
  priority?: number;
  tags?: string[];
  /**
   * Recorded but never queued: the foreground `train` command runs the job it creates itself, so no worker
   * may take it.
   */
  local?: boolean;
}

/** Records a job and, on PostgreSQL, puts it on pg-boss's queue (jobQueue.ts); on SQLite the row is the queue. */
export async function enqueueJob(db: Db, j: JobSpec) {
  const tags = normalizeTags(j.tags ?? []);
  const priority = j.priority ?? 0;
  const job = await db.job.create({ data: { id: randomUUID(), kind: j.kind, runId: j.runId ?? null, status: 'queued', payload: JSON.stringify(j.payload ?? {}), priority, tags: JSON.stringify(tags) } });
  if (hasQueue(db) && !j.local) {
    try {
      await sendJob(db, { id: job.id, kind: j.kind, priority, tags });
    } catch (err) {
      await db.job.delete({ where: { id: job.id } });
      throw err;
    }
  }
  return job;
}

/**
 * Marks a job running for a worker if it is still queued. The condition on the status makes a claim safe
 * when several workers poll the same database: only one of them changes the row.
 */
async function tryClaim(db: Db, id: string, workerId: string, from: JobStatus[] = ['queued']): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: { in: from } }, data: { status: 'running', workerId, startedAt: new Date(), finishedAt: null, attempts: { increment: 1 } } });
  return count === 1;
}

/** A job row with its payload, result and worker tags parsed (each kind's job validates its own payload). */
function parsedJob<J extends { payload: string; result: string | null; tags: string }>(j: J): Omit<J, 'payload' | 'result' | 'tags'> & { payload: unknown; result: unknown; tags: string[] } {
  return { ...j, payload: JSON.parse(j.payload) as unknown, result: j.result === null ? null : (JSON.parse(j.result) as unknown), tags: parseTags(j.tags) };
}

/** A claimed job; `queue` names its pg-boss queue (null on SQLite, where the row is the queue). */
export type ClaimedJob = NonNullable<Awaited<ReturnType<typeof findJob>>> & { queue: string | null };

/**
 * Claims the next job a worker with these tags may run: on SQLite the queued row of highest priority,
 * oldest first, whose tags the worker all has; on PostgreSQL the job pg-boss hands out. A pg-boss job
 * whose row is no longer queued (cancelled meanwhile) is completed and skipped.
 */
export async function claimNextJob(db: Db, worker: { id: string; tags: readonly string[] }): Promise<ClaimedJob | null> {
  if (hasQueue(db)) {
    for (;;) {
      const next = await fetchJob(db, worker.tags);
      if (!next) return null;
      // "interrupted": a lost worker's job that pg-boss hands out again before the reaper marked it queued.
      if (await tryClaim(db, next.id, worker.id, ['queued', 'interrupted'])) {
        const job = await db.job.findUniqueOrThrow({ where: { id: next.id } });
        return { ...parsedJob(job), queue: next.queue };
      }
      await completeQueued(db, next.queue, next.id);
    }
  }
  const offered = new Set(worker.tags);
  for (;;) {
    const queued = await db.job.findMany({ where: { status: 'queued' }, orderBy: [{ priority: 'desc' }, { createdAt: 'asc' }], take: 50 });
    const next = queued.find((j) => parseTags(j.tags).every((t) => offered.has(t)));
    if (!next) return null;
    if (await tryClaim(db, next.id, worker.id)) return { ...parsedJob(next), status: 'running', workerId: worker.id, attempts: next.attempts + 1, queue: null };
  }
}

/**
 * Records a claimed job's end and settles it with the queue. With `retry`, a failed job goes back on
 * pg-boss's queue while its retries last (status "queued" again, the error kept); returns whether it did.
 */
export async function settleJob(db: Db, job: { id: string; queue: string | null }, status: JobStatus, o: { error?: string | null; result?: unknown; retry?: boolean } = {}): Promise<boolean> {
  if (job.queue && status === 'failed' && o.retry) {
    if (await failQueued(db, job.queue, job.id, o.error ?? 'failed')) {
      await db.job.update({ where: { id: job.id }, data: { status: 'queued', error: o.error ?? null, workerId: null } });
      return true;
    }
  } else if (job.queue) {
    await completeQueued(db, job.queue, job.id);
  }
  await finishJob(db, job.id, status, o.error ?? null, o.result);
  return false;
}

/**
 * Puts a job that no pg-boss queue holds back on SQLite's queue (its row), for the next worker to claim:
 * a worker stopped mid-run. Its claim counts as another attempt, which makes a training job resume.
 */
export async function requeueJob(db: Db, id: string, error: string) {
  await db.job.update({ where: { id }, data: { status: 'queued', error, workerId: null, cancelRequested: false } });
}

export async function finishJob(db: Db, id: string, status: JobStatus, error: string | null = null, result?: unknown) {
  await db.job.update({ where: { id }, data: { status, error, finishedAt: new Date(), ...(result === undefined ? {} : { result: JSON.stringify(result) }) } });
}

/** The queued or running job of a run, newest first (null: none). */
export async function activeJobOfRun(db: Db, runId: string) {
  const job = await db.job.findFirst({ where: { runId, status: { in: ['queued', 'running'] } }, orderBy: { createdAt: 'desc' } });
  return job && parsedJob(job);
}

/** The first job a run was queued with: a resumed run keeps its priority and worker tags. */
export async function firstJobOfRun(db: Db, runId: string) {
  const job = await db.job.findFirst({ where: { runId }, orderBy: { createdAt: 'asc' } });
  return job && parsedJob(job);
}

export async function markJobInterrupted(db: Db, id: string) {
  await db.job.update({ where: { id }, data: { status: 'interrupted' } });
}

export async function findJob(db: Db, id: string) {
  const job = await db.job.findUnique({ where: { id } });
  return job && parsedJob(job);
}

export async function listJobs(db: Db, o: { status?: string; take: number; skip: number }) {
  return (await db.job.findMany({ where: o.status ? { status: o.status } : {}, orderBy: { createdAt: 'desc' }, take: o.take, skip: o.skip })).map(parsedJob);
}

/**
 * Asks a job to stop: a queued job (and its run) is cancelled at once (and taken off pg-boss's queue), a
 * running one at its next batch, on whichever worker runs it.
 */
export async function requestCancel(db: Db, id: string) {
  await db.$transaction([
    db.run.updateMany({ where: { status: { in: ['queued', 'interrupted'] }, jobs: { some: { id, status: 'queued' } } }, data: { status: 'cancelled', finishedAt: new Date() } }),
    db.job.updateMany({ where: { id, status: 'queued' }, data: { status: 'cancelled', cancelRequested: true, finishedAt: new Date() } }),
    db.job.updateMany({ where: { id, status: 'running' }, data: { cancelRequested: true } }),
  ]);
  const job = await findJob(db, id);
  if (job && hasQueue(db) && job.status === 'cancelled') await cancelQueued(db, job.tags, id);
  return job;
}

/**
 * What a running job's worker checks before each batch: whether a cancel was requested, and whether the
 * job is still its own (a worker declared lost has had its job handed to another, and must stop without
 * writing anything more).
 */
export async function jobControl(db: Db, id: string, workerId: string): Promise<'continue' | 'cancel' | 'lost'> {
  const job = await db.job.findUnique({ where: { id }, select: { cancelRequested: true, workerId: true, status: true } });
  if (!job || job.workerId !== workerId || job.status !== 'running') return 'lost';
  return job.cancelRequested ? 'cancel' : 'continue';
}

export class JobStateError extends Error {
  override name = 'JobStateError';
}

/** Claims one given queued job that no queue holds (the foreground `train` command executes the job it recorded with `local`). */
export async function claimJob(db: Db, id: string, workerId: string): Promise<ClaimedJob> {
  const claimed = await tryClaim(db, id, workerId);
  const job = await db.job.findUnique({ where: { id } });
  if (!claimed || !job) throw new JobStateError(`job ${id} is ${job?.status ?? 'missing'}, not queued`);
  return { ...parsedJob(job), queue: null };
}

/** Ingest jobs marked running, with the worker (host:pid) that claimed them. */
export async function runningIngestJobs(db: Db) {
  // With pg-boss a dead worker's jobs are the lease reaper's (workers.ts), which retries them.
  if (hasQueue(db)) return [];
  return db.job.findMany({ where: { kind: 'ingest', status: 'running' }, select: { id: true, workerId: true } });
}

export async function markJobsInterrupted(db: Db, ids: string[], error: string) {
  if (!ids.length) return;
  await db.job.updateMany({ where: { id: { in: ids }, status: 'running' }, data: { status: 'interrupted', finishedAt: new Date(), error } });
}
