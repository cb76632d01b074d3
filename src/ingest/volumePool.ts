import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SeriesPlan } from '../dicom/series.js';
import type { VolumeJob, VolumeJobResult } from './volumeJob.js';

interface Pending {
  resolve: (r: VolumeJobResult) => void;
  reject: (e: Error) => void;
}

/**
 * Builds series volumes on worker threads (one per core, at most `size`), so decoding and cache writes
 * of different series run in parallel while the main thread keeps the database work. A worker that dies
 * (a crash in a decoder, an out-of-memory abort) fails only the series it was building, and is replaced.
 */
export class VolumePool {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  /** The job each busy worker is running. */
  private readonly busy = new Map<Worker, Pending>();
  private closing = false;

  constructor(size = Math.max(1, Math.min(4, os.availableParallelism()))) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    // Compiled (dist/) workers load the worker module itself; from the TypeScript sources they go through
    // an entry that registers tsx first, since worker threads do not inherit module hooks.
    const entry = import.meta.url.endsWith('.ts') ? './volumeWorkerEntry.js' : './volumeWorker.js';
    const worker = new Worker(new URL(entry, import.meta.url));
    this.workers.add(worker);
    worker.on('message', (msg: { result?: VolumeJobResult; error?: string }) => {
      const p = this.busy.get(worker);
      this.busy.delete(worker);
      this.release(worker);
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.result!);
    });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      this.workers.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      this.busy.get(worker)?.reject(err);
      this.busy.delete(worker);
      if (!this.closing) this.release(this.spawn());
    };
    worker.on('error', (err) => fail(new Error(`volume worker failed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`volume worker exited with code ${code}`));
    });
    return worker;
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    this.waiting.shift()?.();
  }

  async run(plan: SeriesPlan, job: VolumeJob): Promise<VolumeJobResult> {
    if (this.closing) throw new Error('volume pool is closed');
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    const worker = this.idle.pop()!;
    return new Promise((resolve, reject) => {
      this.busy.set(worker, { resolve, reject });
      worker.postMessage({ plan, job });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}
