import { randomUUID } from 'node:crypto';
import type { Db } from './client.js';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export async function enqueueJob(db: Db, j: { kind: 'train' | 'ingest'; runId?: string; payload?: unknown }) {
  return db.job.create({ data: { id: randomUUID(), kind: j.kind, runId: j.runId ?? null, status: 'queued', payload: JSON.stringify(j.payload ?? {}) } });
}

/**
 * Marks a job running for a worker if it is still queued. The condition on the status makes a claim safe
 * when several workers poll the same database: only one of them changes the row.
 */
async function tryClaim(db: Db, id: string, workerId: string): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: 'queued' }, data: { status: 'running', workerId, startedAt: new Date() } });
  return count === 1;
}

/** Claims the oldest queued job for a worker (the next one when another worker was quicker). */
export async function claimNextJob(db: Db, workerId: string) {
  for (;;) {
    const next = await db.job.findFirst({ where: { status: 'queued' }, orderBy: { createdAt: 'asc' } });
    if (!next) return null;
    if (await tryClaim(db, next.id, workerId)) return { ...next, status: 'running', workerId };
  }
}

export async function finishJob(db: Db, id: string, status: JobStatus, error: string | null = null, result?: unknown) {
  await db.job.update({ where: { id }, data: { status, error, finishedAt: new Date(), ...(result === undefined ? {} : { result: JSON.stringify(result) }) } });
}

export async function findJob(db: Db, id: string) {
  return db.job.findUnique({ where: { id } });
}

export async function listJobs(db: Db, o: { status?: string; take: number; skip: number }) {
  return db.job.findMany({ where: o.status ? { status: o.status } : {}, orderBy: { createdAt: 'desc' }, take: o.take, skip: o.skip });
}

/** Asks a job to stop: a queued job (and its run) is cancelled at once, a running one at its next batch. */
export async function requestCancel(db: Db, id: string) {
  await db.$transaction([
    db.run.updateMany({ where: { status: 'queued', jobs: { some: { id, status: 'queued' } } }, data: { status: 'cancelled', finishedAt: new Date() } }),
    db.job.updateMany({ where: { id, status: 'queued' }, data: { status: 'cancelled', cancelRequested: true, finishedAt: new Date() } }),
    db.job.updateMany({ where: { id, status: 'running' }, data: { cancelRequested: true } }),
  ]);
  return db.job.findUnique({ where: { id } });
}

export async function cancelRequested(db: Db, id: string): Promise<boolean> {
  const job = await db.job.findUnique({ where: { id }, select: { cancelRequested: true } });
  return job?.cancelRequested ?? false;
}

export class JobStateError extends Error {
  override name = 'JobStateError';
}

/** Claims one given queued job (the foreground `train` command executes the job it queued). */
export async function claimJob(db: Db, id: string, workerId: string) {
  const claimed = await tryClaim(db, id, workerId);
  const job = await db.job.findUnique({ where: { id } });
  if (!claimed || !job) throw new JobStateError(`job ${id} is ${job?.status ?? 'missing'}, not queued`);
  return job;
}

/** Ingest jobs marked running, with the worker (host:pid) that claimed them. */
export async function runningIngestJobs(db: Db) {
  return db.job.findMany({ where: { kind: 'ingest', status: 'running' }, select: { id: true, workerId: true } });
}

export async function markJobsInterrupted(db: Db, ids: string[], error: string) {
  if (!ids.length) return;
  await db.job.updateMany({ where: { id: { in: ids }, status: 'running' }, data: { status: 'interrupted', finishedAt: new Date(), error } });
}
