import { z } from 'zod';
import type { Db } from './client.js';
import { failQueued, hasQueue, parseTags, queueName } from './jobQueue.js';

/** A job worker as the dashboard lists it (tags parsed). */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  slot: number;
  backend: string;
  version: string;
  tags: string[];
  status: 'idle' | 'busy' | 'stopped' | 'lost';
  currentJobId: string | null;
  /** The run of the current job, when it is a training. */
  currentRunId: string | null;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
}

/** A worker's id, the Worker table's key and what Job.workerId and Run.workerId hold: host:pid/slot. */
export const workerIdOf = (host: string, pid: number, slot: number): string => `${host}:${pid}/${slot}`;

/** Host and pid of a worker id (host:pid/slot; rows from before slots hold host:pid), or null for another form (cli:PID). */
export function parseWorkerId(id: string): { host: string; pid: number } | null {
  const m = /^(.*):(\d+)(?:\/\d+)?$/.exec(id);
  return m ? { host: m[1], pid: Number(m[2]) } : null;
}

const StatusSchema = z.enum(['idle', 'busy', 'stopped', 'lost']);

/** Registers (or re-registers, after a restart with the same pid) a worker slot as idle. */
export async function registerWorker(db: Db, w: { id: string; host: string; pid: number; slot: number; backend: string; version: string; tags: string[] }): Promise<void> {
  const data = { ...w, tags: JSON.stringify(w.tags), status: 'idle', currentJobId: null, startedAt: new Date(), heartbeatAt: new Date(), stoppedAt: null };
  await db.worker.upsert({ where: { id: w.id }, create: data, update: data });
}

/** Renews the lease of these workers (a lost one that reports again is back). */
export async function workerHeartbeat(db: Db, ids: string[]): Promise<void> {
  const now = new Date();
  await db.$transaction([
    db.worker.updateMany({ where: { id: { in: ids }, status: { in: ['idle', 'busy'] } }, data: { heartbeatAt: now } }),
    db.worker.updateMany({ where: { id: { in: ids }, status: 'lost' }, data: { heartbeatAt: now, status: 'idle', currentJobId: null } }),
  ]);
}

/** What a worker is doing now: a job (busy) or nothing (idle). */
export async function setWorkerJob(db: Db, id: string, jobId: string | null): Promise<void> {
  await db.worker.updateMany({ where: { id, status: { not: 'stopped' } }, data: { status: jobId ? 'busy' : 'idle', currentJobId: jobId, heartbeatAt: new Date() } });
}

/** The backend a slot loaded (registered as asked, e.g. "auto", before its thread chose). */
export async function setWorkerBackend(db: Db, id: string, backend: string): Promise<void> {
  await db.worker.updateMany({ where: { id }, data: { backend } });
}

export async function stopWorkers(db: Db, ids: string[]): Promise<void> {
  await db.worker.updateMany({ where: { id: { in: ids } }, data: { status: 'stopped', currentJobId: null, stoppedAt: new Date() } });
}

/** Workers, the live ones first, then by host and slot; stopped and lost ones only when heard of within `stoppedWithinMs` (a day). */
export async function listWorkers(db: Db, o: { stoppedWithinMs?: number } = {}): Promise<WorkerInfo[]> {
  const since = new Date(Date.now() - (o.stoppedWithinMs ?? 24 * 3600 * 1000));
  const rows = await db.worker.findMany({ where: { OR: [{ status: { in: ['idle', 'busy'] } }, { heartbeatAt: { gte: since } }] }, orderBy: [{ host: 'asc' }, { pid: 'asc' }, { slot: 'asc' }] });
  const jobIds = rows.map((r) => r.currentJobId).filter((j): j is string => j !== null);
  const jobs = jobIds.length ? await db.job.findMany({ where: { id: { in: jobIds } }, select: { id: true, runId: true } }) : [];
  const runOf = new Map(jobs.map((j) => [j.id, j.runId]));
  const rank = { busy: 0, idle: 1, lost: 2, stopped: 3 } as const;
  return rows.map((r) => ({ ...r, status: StatusSchema.parse(r.status), tags: parseTags(r.tags), currentRunId: r.currentJobId ? (runOf.get(r.currentJobId) ?? null) : null })).sort((a, b) => rank[a.status] - rank[b.status]);
}

export interface ReapResult {
  /** Workers declared lost (no heartbeat within the lease). */
  workers: string[];
  /** Their jobs put back on the queue (pg-boss retries left): another worker takes them and resumes. */
  requeued: string[];
  /** Their jobs that will not run again (SQLite, or retries used up): the runs stay interrupted, resumable. */
  interrupted: string[];
}

/**
 * Declares workers whose lease ran out (no heartbeat for `leaseMs`: killed, powered off, cut off) lost,
 * and hands their running jobs back: the run becomes interrupted, the job goes back on pg-boss's queue
 * while its retries last, and the worker that takes it resumes the run from its last checkpoint. Each
 * job is taken over by one reaper only (a conditional update), however many processes reap at once.
 */
export async function reapLostWorkers(db: Db, leaseMs: number): Promise<ReapResult> {
  const cutoff = new Date(Date.now() - leaseMs);
  const stale = await db.worker.findMany({ where: { status: { in: ['idle', 'busy'] }, heartbeatAt: { lt: cutoff } }, select: { id: true } });
  const result: ReapResult = { workers: [], requeued: [], interrupted: [] };
  for (const { id } of stale) {
    const { count } = await db.worker.updateMany({ where: { id, status: { in: ['idle', 'busy'] }, heartbeatAt: { lt: cutoff } }, data: { status: 'lost', currentJobId: null } });
    if (count !== 1) continue;
    result.workers.push(id);
    const message = `worker ${id} was lost (no heartbeat for ${Math.round(leaseMs / 1000)} s)`;
    for (const job of await db.job.findMany({ where: { status: 'running', workerId: id } })) {
      const took = await db.job.updateMany({ where: { id: job.id, status: 'running', workerId: id }, data: { status: 'interrupted', workerId: null, error: message, finishedAt: new Date() } });
      if (took.count !== 1) continue;
      if (job.runId) await db.run.updateMany({ where: { id: job.runId, status: 'running' }, data: { status: 'interrupted', pid: null, error: `${message}; it resumes from its last checkpoint` } });
      const retried = hasQueue(db) && (await failQueued(db, queueName(parseTags(job.tags)), job.id, message));
      if (retried) {
        // Conditional: the retry may already have been claimed by a quick worker (claims accept "interrupted" rows pg-boss hands out).
        await db.job.updateMany({ where: { id: job.id, status: 'interrupted' }, data: { status: 'queued', finishedAt: null } });
        result.requeued.push(job.id);
      } else result.interrupted.push(job.id);
    }
  }
  return result;
}
