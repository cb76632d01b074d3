import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../backend/selectBackend.js';
import type { WorkerEvent } from './worker.js';

export interface WorkerThreadOptions {
  databaseUrl: string;
  cacheDir: string;
  runsDir: string;
  backend?: BackendChoice;
  pollMs?: number;
  /** host:pid/slot */
  workerId: string;
  tags: string[];
  /** End when the queue is empty. */
  once?: boolean;
}

/**
 * Runs the job worker on a worker thread, so training and ingestion never block the server's event loop.
 * Its events are re-emitted as 'event'; stop() lets the current batch finish (the run becomes
 * "cancelled", resumable) and waits for the thread to end.
 */
export class WorkerThread extends EventEmitter<{ event: [WorkerEvent]; error: [Error] }> {
  private readonly worker: Worker;
  /** Resolves with the exit code when the thread has ended. */
  readonly exited: Promise<number>;
  /** False once the thread has ended (stopped, or crashed). */
  alive = true;

  constructor(o: WorkerThreadOptions) {
    super();
    const entry = import.meta.url.endsWith('.ts') ? './workerThreadEntry.js' : './workerThreadMain.js';
    this.worker = new Worker(new URL(entry, import.meta.url), { workerData: o });
    this.worker.on('message', (e: WorkerEvent) => this.emit('event', e));
    this.worker.on('error', (err) => this.emit('error', err));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.alive = false;
        resolve(code);
      }),
    );
  }

  /**
   * Asks the worker to stop and waits for its thread to end: at once when idle, after the current batch
   * when training; terminated after `timeoutMs` (within Docker's default 10 s stop timeout).
   */
  async stop(timeoutMs = 8_000): Promise<void> {
    this.worker.postMessage({ stop: true });
    const timer = setTimeout(() => void this.worker.terminate(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
