import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { BackendChoice } from '../backend/selectBackend.js';
import { sqlitePath, type AppConfig } from '../config.js';
import { closeDb, openDb } from '../db/client.js';
import { hasUsers } from '../db/users.js';
import { allPatientIds, findDataset } from '../db/catalog.js';
import { DEMO_COHORT, ensureSyntheticCohort } from '../data/synthetic.js';
import { ingest } from '../ingest/ingest.js';
import { reconcileIngest } from '../ingest/reconcileIngest.js';
import { reconcileRuns } from '../jobs/trainingJobs.js';
import { WorkerPool } from '../jobs/workerPool.js';
import { logger } from '../util/logger.js';
import { createApp } from './app.js';
import { EventBus } from './eventBus.js';
import { allowedHosts } from './hostCheck.js';
import { createRedactor, pseudonymKey } from './redact.js';
import { buildWebBundle, WEB_ASSETS } from './webBundle.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** Run queued jobs on a worker thread of this process (default); false leaves them to `segfusion worker`. */
  worker: boolean;
  /** Generate and ingest the synthetic demo cohort as dataset "demo" when it is missing. */
  demo: { dir: string; patients: number } | null;
  backend?: BackendChoice;
  onProgress?: (message: string) => void;
}

export class ServeError extends Error {
  override name = 'ServeError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Starts the dashboard and API; resolves once it listens (GET /api/health answers from then on). */
export async function startServer(config: AppConfig, o: ServeOptions): Promise<{ url: string; close: () => Promise<void> }> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const db = await openDb(config.databaseUrl);
  // Beyond this machine every call must be authenticated: by SEGFUSION_TOKEN, or by accounts.
  if (!LOOPBACK.has(o.host) && !config.token && !(await hasUsers(db))) {
    await closeDb(db);
    throw new ServeError(`listening on ${o.host} exposes the API beyond this machine: create accounts (segfusion user add NAME --role admin) or set SEGFUSION_TOKEN (16+ characters), and every API call must then carry a token`);
  }
  await reconcileRuns(db);
  await reconcileIngest(db, config.cacheDir);
  await buildWebBundle();
  if (o.demo && !(await findDataset(db, 'demo'))) {
    if (!fs.existsSync(path.join(o.demo.dir, 'labels', 'labels.json'))) o.onProgress?.(`generating the demo cohort in ${o.demo.dir}`);
    const kept = ensureSyntheticCohort({ ...DEMO_COHORT, patients: o.demo.patients, out: o.demo.dir }, { hint: 'remove that folder, or name another with --demo-dir' });
    if (kept.note) o.onProgress?.(kept.note);
    o.onProgress?.('ingesting dataset "demo"');
    await ingest(db, { dataset: 'demo', paths: [path.join(o.demo.dir, 'dicom')], labelsDir: path.join(o.demo.dir, 'labels'), cacheDir: config.cacheDir });
  }
  const events = new EventBus();
  let worker: WorkerPool | null = null;
  const health = {
    db,
    databaseFile: config.databaseUrl.startsWith('file:') ? sqlitePath(config.databaseUrl) : null,
    dataDir: config.dataDir,
    workerAlive: () => (o.worker ? (worker?.alive ?? false) : null),
  };
  const pseudonymize = config.pseudonymize === 'on' || (config.pseudonymize === 'auto' && !LOOPBACK.has(o.host));
  // The catalogue's PatientIDs, so they are replaced inside paths too; reloaded after every import.
  let knownIds: string[] = pseudonymize ? await allPatientIds(db) : [];
  const reloadIds = () => {
    if (pseudonymize)
      void allPatientIds(db).then(
        (ids) => (knownIds = ids),
        (err: unknown) => logger.warn({ err }, 'reloading patient IDs failed'),
      );
  };
  // Imports by a separate `segfusion worker` process send no events here: reload once a minute too.
  const idTimer = pseudonymize ? setInterval(reloadIds, 60_000).unref() : undefined;
  const redact = createRedactor({ pseudonymize, key: pseudonymKey(config.dataDir), roots: config.ingestRoots, knownIds: () => knownIds });
  const app = createApp(
    {
      db,
      events,
      runsDir: config.runsDir,
      workerLeaseMs: config.workerLeaseMs,
      ingestRoots: config.ingestRoots,
      token: config.token,
      health,
      redact,
      allowedHosts: allowedHosts(o.host, config.allowedHosts),
      pacs: { servers: config.pacs.servers, auth: config.pacs.auth },
    },
    WEB_ASSETS,
  );
  let server: ReturnType<typeof app.listen>;
  try {
    server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
      // Express 5 hands listen errors (e.g. EADDRINUSE) to this callback.
      const s = app.listen(o.port, o.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (err) {
    await closeDb(db);
    const code = (err as NodeJS.ErrnoException).code;
    throw new ServeError(code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is already in use; choose another with --port or PORT` : `cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`);
  }
  // The worker starts once the server listens, so a failed start leaves no thread behind.
  worker = o.worker
    ? await WorkerPool.start(db, {
        databaseUrl: config.databaseUrl,
        cacheDir: config.cacheDir,
        runsDir: config.runsDir,
        backend: o.backend,
        concurrency: 1,
        leaseMs: config.workerLeaseMs,
        pollMs: 500,
        onEvent: (e) => {
          if (e.type === 'job' && e.kind === 'ingest' && e.status !== 'running') reloadIds();
          events.publish(e);
        },
      })
    : null;
  const { port } = server.address() as AddressInfo;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  return {
    url,
    async close() {
      // A running training stops after its current batch and stays resumable.
      clearInterval(idTimer);
      await worker?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeDb(db);
    },
  };
}
