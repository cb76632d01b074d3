import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../db/client.js';
import { markIngestRunsInterrupted, runningIngestRuns } from '../db/catalog.js';
import { markJobsInterrupted, runningIngestJobs } from '../db/jobs.js';
import { parseWorkerId } from '../db/workers.js';
import { HOST_TAG } from '../util/atomicWrite.js';
import { processAlive } from '../util/processAlive.js';

/** Temp files of atomic writes: `<name>.<host tag>.<pid>.<8 hex>.tmp` (util/atomicWrite.ts). */
const TEMP_FILE = /\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Whether host:pid (or a run's host and pid) names a process of this host that has ended. */
const deadHere = (host: string | null, pid: number | null): boolean => host === os.hostname() && pid !== null && pid !== process.pid && !processAlive(pid);

/**
 * Marks imports and ingest jobs left "running" by a process of this host that no longer exists (kill -9,
 * crash) as interrupted, and removes the temp files such processes left in the cache. A rerun of the
 * import finishes the work: completed series are kept, the rest is built again. Rows of other hosts are
 * left alone (their process cannot be checked from here).
 */
export async function reconcileIngest(db: Db, cacheDir: string): Promise<{ runs: number; jobs: number; tempFiles: number }> {
  const runs = (await runningIngestRuns(db)).filter((r) => deadHere(r.host, r.pid)).map((r) => r.id);
  await markIngestRunsInterrupted(db, runs);
  const jobs = (await runningIngestJobs(db))
    .filter((j) => {
      const w = parseWorkerId(j.workerId ?? '');
      return w ? deadHere(w.host, w.pid) : false;
    })
    .map((j) => j.id);
  await markJobsInterrupted(db, jobs, 'the worker process ended before the import finished; queue it again to finish it');
  let tempFiles = 0;
  if (fs.existsSync(cacheDir)) {
    for (const rel of fs.readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })) {
      const m = TEMP_FILE.exec(rel);
      if (!m || m[1] !== HOST_TAG || processAlive(Number(m[2]))) continue;
      fs.rmSync(path.join(cacheDir, rel), { force: true });
      tempFiles++;
    }
  }
  return { runs: runs.length, jobs: jobs.length, tempFiles };
}
