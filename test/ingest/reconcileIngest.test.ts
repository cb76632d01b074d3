import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HOST_TAG } from '../../src/util/atomicWrite.js';
import { upsertDataset } from '../../src/db/catalog.js';
import { openDb } from '../../src/db/client.js';
import { claimJob, findJob } from '../../src/db/jobs.js';
import { reconcileIngest } from '../../src/ingest/reconcileIngest.js';
import { queueIngest } from '../../src/jobs/ingestJobs.js';
import { tempDir } from '../helpers.js';

/** The pid of a process that has exited (so no process of this host has it, for now). */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('reconcileIngest', () => {
  it('marks ingest jobs and imports of dead processes of this host interrupted, leaves live and foreign ones, removes dead temp files', async () => {
    const dir = tempDir('reconcile');
    const db = await openDb(`file:${path.join(dir, 'db.sqlite')}`);
    try {
      const dead = deadPid();
      const ds = await upsertDataset(db, 'r');
      const rows = [
        { id: 'dead', host: os.hostname(), pid: dead },
        { id: 'live', host: os.hostname(), pid: process.pid },
        { id: 'foreign', host: 'another-host', pid: dead },
      ];
      for (const r of rows) await db.ingestRun.create({ data: { id: r.id, datasetId: ds.id, status: 'running', host: r.host, pid: r.pid } });
      const jobs = [];
      for (const worker of [`${os.hostname()}:${dead}/0`, `another-host:${dead}/0`]) {
        const job = await queueIngest(db, { dataset: 'r', paths: [dir] });
        await claimJob(db, job.id, worker);
        jobs.push(job.id);
      }
      const cache = path.join(dir, 'cache', 'd');
      fs.mkdirSync(cache, { recursive: true });
      const deadTmp = path.join(cache, `a.raw.${HOST_TAG}.${dead}.0123abcd.tmp`);
      const liveTmp = path.join(cache, `b.raw.${HOST_TAG}.${process.pid}.0123abcd.tmp`);
      // On shared storage: another host's temp file, whatever its pid means here, is not ours to remove.
      const otherHostTmp = path.join(cache, `c.raw.${HOST_TAG === '00000000' ? '11111111' : '00000000'}.${dead}.0123abcd.tmp`);
      for (const f of [deadTmp, liveTmp, otherHostTmp]) fs.writeFileSync(f, 'x');

      assert.deepEqual(await reconcileIngest(db, path.join(dir, 'cache')), { runs: 1, jobs: 1, tempFiles: 1 });
      const status = async (id: string) => (await db.ingestRun.findUniqueOrThrow({ where: { id } })).status;
      assert.deepEqual([await status('dead'), await status('live'), await status('foreign')], ['interrupted', 'running', 'running']);
      assert.deepEqual([(await findJob(db, jobs[0]))?.status, (await findJob(db, jobs[1]))?.status], ['interrupted', 'running']);
      assert.deepEqual([fs.existsSync(deadTmp), fs.existsSync(liveTmp), fs.existsSync(otherHostTmp)], [false, true, true]);
    } finally {
      await db.$disconnect();
    }
  });
});
