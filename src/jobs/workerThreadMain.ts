import { parentPort, workerData } from 'node:worker_threads';
import { closeDb, openDb } from '../db/client.js';
import { selectBackend } from '../backend/selectBackend.js';
import { runWorker, type WorkerEvent } from './worker.js';
import type { WorkerThreadOptions } from './workerThread.js';

/** The job worker inside a worker thread: its own database connection, events posted to the parent. */
const o = workerData as WorkerThreadOptions;
const controller = new AbortController();
const onMessage = (m: { stop?: boolean }) => {
  if (m.stop) controller.abort();
};
parentPort?.on('message', onMessage);
const db = await openDb(o.databaseUrl);
try {
  // The backend is chosen once, at start, so the workers list shows what this slot trains on.
  const backend = await selectBackend(o.backend);
  parentPort?.postMessage({ type: 'worker', backend: backend.choice } satisfies WorkerEvent);
  await runWorker(db, { cacheDir: o.cacheDir, runsDir: o.runsDir, backend: o.backend, pollMs: o.pollMs, workerId: o.workerId, tags: o.tags, once: o.once, signal: controller.signal, onEvent: (e) => parentPort?.postMessage(e) });
} finally {
  await closeDb(db);
  // The listener would keep the thread alive after the worker loop returned, until terminate().
  parentPort?.off('message', onMessage);
}
