import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SeriesPlan } from '../dicom/series.js';
import type { VolumeJob, VolumeJobResult } from './volumeJob.js';

/**
 * Builds series volumes on worker threads (one per core, at most `size`), so decoding and cache writes
 * of different series run in parallel while the main thread keeps the database work.
 */
export class VolumePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, { resolve: (r: VolumeJobResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(size = Math.max(1, Math.min(4, os.availableParallelism()))) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) {
      // Compiled (dist/) workers load the worker module itself; from the TypeScript sources they go through
      // an entry that registers tsx first, since worker threads do not inherit module hooks.
      const entry = import.meta.url.endsWith('.ts') ? './volumeWorkerEntry.js' : './volumeWorker.js';
      const worker = new Worker(new URL(entry, import.meta.url));
      worker.on('message', (msg: { id: number; result?: VolumeJobResult; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        this.release(worker);
        if (!p) return;
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result!);
      });
      // A dead worker fails the pool: queued and future jobs are rejected instead of waiting forever.
      const fail = (err: Error) => {
        this.failure ??= err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        for (const wake of this.waiting.splice(0)) wake();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) fail(new Error(`volume worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    this.waiting.shift()?.();
  }

  async run(plan: SeriesPlan, job: VolumeJob): Promise<VolumeJobResult> {
    while (this.idle.length === 0 && !this.failure) await new Promise<void>((r) => this.waiting.push(r));
    if (this.failure) throw this.failure;
    const worker = this.idle.pop()!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, plan, job });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
