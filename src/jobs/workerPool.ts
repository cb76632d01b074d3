import { createRequire } from 'node:module';
import os from 'node:os';
import type { BackendChoice } from '../backend/selectBackend.js';
import type { Db } from '../db/client.js';
import { normalizeTags } from '../db/jobQueue.js';
import { reapLostWorkers, registerWorker, setWorkerBackend, setWorkerJob, stopWorkers, workerHeartbeat, workerIdOf } from '../db/workers.js';
import { logger } from '../util/logger.js';
import type { WorkerEvent } from './worker.js';
import { WorkerThread } from './workerThread.js';

export interface WorkerPoolOptions {
  databaseUrl: string;
  cacheDir: string;
  runsDir: string;
  /** Worker slots: each a thread with its own TF.js engine and database connection, one job at a time. */
  concurrency: number;
  backend?: BackendChoice;
  tags?: string[];
  /** A slot not heard from for this long is lost; its job goes to another worker. */
  leaseMs: number;
  pollMs?: number;
  /** Slots end when the queue is empty. */
  once?: boolean;
  onEvent?: (e: WorkerEvent & { workerId: string }) => void;
}

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * The job workers of one process: `segfusion worker --concurrency N` or the dashboard's own. The slots
 * train on worker threads, so this thread stays free to keep their lease: it renews their heartbeat a
 * few times per lease (a process killed with -9 or a host powered off stops renewing, and its jobs are
 * handed to other workers), records what each slot runs, and reaps the workers of other processes whose
 * lease ran out (workers.ts). Stopping lets each slot finish its current batch; the run stays resumable.
 */
export class WorkerPool {
  private readonly threads: WorkerThread[];
  private readonly timer: NodeJS.Timeout;
  private readonly ended: Promise<void>;
  private ticking: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    o: WorkerPoolOptions,
    readonly ids: string[],
    tags: string[],
  ) {
    this.threads = this.ids.map((workerId) => {
      const t = new WorkerThread({ databaseUrl: o.databaseUrl, cacheDir: o.cacheDir, runsDir: o.runsDir, backend: o.backend, pollMs: o.pollMs, workerId, tags, once: o.once });
      t.on('event', (e) => {
        const record = e.type === 'job' ? setWorkerJob(db, workerId, e.status === 'running' ? e.jobId : null) : e.type === 'worker' ? setWorkerBackend(db, workerId, e.backend) : null;
        record?.catch((err: unknown) => logger.warn({ err, workerId }, 'cannot record the worker state'));
        o.onEvent?.({ ...e, workerId });
      });
      t.on('error', (err) => logger.error({ err, workerId }, 'job worker thread failed'));
      return t;
    });
    this.timer = setInterval(
      () => {
        this.ticking = this.tick(o.leaseMs);
      },
      Math.max(250, Math.floor(o.leaseMs / 4)),
    );
    this.ended = Promise.all(this.threads.map((t) => t.exited)).then(() => undefined);
  }

  /** False once every slot's thread has ended (stopped, or crashed). */
  get alive(): boolean {
    return this.threads.some((t) => t.alive);
  }

  /** Registers the slots in the workers table and starts their threads. */
  static async start(db: Db, o: WorkerPoolOptions): Promise<WorkerPool> {
    const tags = normalizeTags(o.tags ?? []);
    const ids = Array.from({ length: o.concurrency }, (_, slot) => workerIdOf(os.hostname(), process.pid, slot));
    for (const [slot, id] of ids.entries()) await registerWorker(db, { id, host: os.hostname(), pid: process.pid, slot, backend: o.backend ?? 'auto', version, tags });
    return new WorkerPool(db, o, ids, tags);
  }

  private async tick(leaseMs: number): Promise<void> {
    try {
      await workerHeartbeat(this.db, this.ids);
      const reaped = await reapLostWorkers(this.db, leaseMs);
      if (reaped.workers.length) logger.warn(reaped, 'lost workers: their jobs were handed back');
    } catch (err) {
      logger.warn({ err }, 'worker heartbeat failed');
    }
  }

  /** Resolves when every slot has ended (with `once`, when the queue is empty). */
  async done(): Promise<void> {
    await this.ended;
    await this.close();
  }

  /** Asks every slot to stop after its current batch and waits for them. */
  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
    await this.close();
  }

  private closing: Promise<void> | null = null;

  private close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.ticking;
      await stopWorkers(this.db, this.ids);
    })();
    return this.closing;
  }
}
