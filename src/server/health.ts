import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client.js';

export interface HealthCheck {
  name: 'database' | 'dataFolder' | 'worker';
  ok: boolean;
  detail: string;
}

export interface HealthProbes {
  db: Db;
  /** The SQLite file (null for a server database): an open connection survives its deletion, so it is checked too. */
  databaseFile: string | null;
  dataDir: string;
  /** Whether the in-process job worker runs; null when this server runs none (serve --no-worker). */
  workerAlive: () => boolean | null;
}

/**
 * Readiness: the catalogue answers a query (and its file still exists), the data folder takes a write,
 * and the job worker thread, when this server runs one, is alive. Each check says what it found; the
 * details name no server path.
 */
export async function readiness(p: HealthProbes): Promise<{ ready: boolean; checks: HealthCheck[] }> {
  const checks: HealthCheck[] = [];
  try {
    if (p.databaseFile && !fs.existsSync(p.databaseFile)) throw new Error('the database file is missing');
    await p.db.$queryRawUnsafe('SELECT 1');
    checks.push({ name: 'database', ok: true, detail: 'reachable' });
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: `not reachable: ${(err as Error).message.split('\n')[0].replaceAll(p.databaseFile ?? '\0', 'the database file')}` });
  }
  const probe = path.join(p.dataDir, `.health-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    checks.push({ name: 'dataFolder', ok: true, detail: 'writable' });
  } catch (err) {
    checks.push({ name: 'dataFolder', ok: false, detail: `not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
  }
  const worker = p.workerAlive();
  if (worker !== null) checks.push({ name: 'worker', ok: worker, detail: worker ? 'running' : 'the job worker thread has stopped' });
  return { ready: checks.every((c) => c.ok), checks };
}
