import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDb, type Db } from '../../src/db/client.js';
import { createRun, saveCaseMetrics, saveEpoch, upsertArtifact, type TraceRecord } from '../../src/db/runs.js';
import { runCurves } from '../../src/server/services/runsService.js';
import { listRunItems, runReport } from '../../src/train/runReport.js';
import { tempDir } from '../helpers.js';

const metric = {
  dice: 0.9,
  iou: 0.8,
  sensitivity: 0.9,
  specificity: 1,
  precision: 0.9,
  hd95: 1,
  assd: 0.2,
  groundTruthVoxels: 100,
  predictedVoxels: 100,
  lesions: 1,
  lesionsFound: 1,
  falsePositiveComponents: 0,
  detectionSensitivity: 1,
  detectionF1: 1,
};

/** A run with `epochs` epochs, 10 traces each, and 20 cases x 2 classes of metrics. */
async function seedRun(db: Db, datasetId: string, epochs: number): Promise<string> {
  const run = await createRun(db, { datasetId, config: { dataset: 'd', losses: [{ name: 'dice' }] }, strategy: 'static', seed: 1, totalEpochs: epochs, owner: 'test' });
  for (let e = 0; e < epochs; e++) {
    const traces: TraceRecord[] = [...Array(10).keys()].map((b) => ({ step: e * 10 + b, epoch: e, learningRate: 0.001, loss: 1 / (e + 1), terms: [1], weights: [1] }));
    await saveEpoch(db, run.id, { epoch: e, learningRate: 0.001, loss: 1, terms: { dice: 1 }, weights: { dice: 1 }, valDice: 0.5, valMetrics: { organ: { dice: 0.5 } }, durationMs: 10 }, traces, {
      epochsDone: e + 1,
      bestEpoch: e,
      bestDice: 0.5,
      durationMs: 10,
    });
  }
  await saveCaseMetrics(
    db,
    run.id,
    [...Array(20).keys()].flatMap((c) => [1, 2].map((cls) => ({ split: 'test' as const, seriesInstanceUid: `s${c}`, patientId: `p${c}`, classIndex: cls, className: `c${cls}`, ...metric }))),
  );
  await upsertArtifact(db, run.id, { kind: 'checkpoint-best', name: 'best', path: '/x', sha256: 'h', bytes: 1, epoch: 0 });
  return run.id;
}

describe('dashboard queries on long runs', () => {
  let file: string;
  let db: Db;
  let queries: { query: string; params: string }[] = [];
  let datasetId: string;

  before(async () => {
    file = path.join(tempDir('runsdb'), 'db.sqlite');
    db = await openDb(`file:${file}`, { onQuery: (q) => queries.push(q) });
    datasetId = (await db.dataset.create({ data: { id: 'ds', name: 'd' } })).id;
  });
  after(async () => db.$disconnect());

  async function capture(fn: () => Promise<unknown>) {
    queries = [];
    await fn();
    return queries.filter((q) => /^\s*SELECT/i.test(q.query));
  }

  it('a run page costs the same few queries for 3 or 300 epochs (no N+1)', async () => {
    const short = await seedRun(db, datasetId, 3);
    const long = await seedRun(db, datasetId, 300);
    const counts = [];
    for (const id of [short, long]) {
      counts.push((await capture(() => runReport(db, id))).length + (await capture(() => runCurves(db, id))).length);
    }
    assert.equal(counts[0], counts[1]);
    assert.ok(counts[1] <= 12, `${counts[1]} queries`);
    const report = await runReport(db, long);
    assert.equal(report.epochs.length, 300);
    assert.equal((await runCurves(db, long)).batches.length, 3000);
    const listed = await capture(() => listRunItems(db, { take: 50 }));
    assert.ok(listed.length <= 3, `runs list: ${listed.length} queries`);
  });

  it('every query of a run page and the runs list searches an index, none scans the per-epoch, per-batch or per-case tables', async () => {
    const id = (await listRunItems(db, { take: 1 })).runs[0].id;
    const selects = [...(await capture(() => runReport(db, id))), ...(await capture(() => runCurves(db, id))), ...(await capture(() => listRunItems(db, { take: 50 })))];
    const raw = new Database(file, { readonly: true });
    let checked = 0;
    try {
      for (const q of selects) {
        const params = (JSON.parse(q.params) as unknown[]).map((p) => (typeof p === 'boolean' ? Number(p) : p));
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${q.query}`).all(...params) as { detail: string }[]).map((r) => r.detail);
        checked += plan.length;
        for (const step of plan) assert.doesNotMatch(step, /^SCAN (RunEpoch|BatchTrace|CaseMetric|Artifact|Job)\b/, `${q.query}\n${plan.join('\n')}`);
      }
    } finally {
      raw.close();
    }
    assert.ok(selects.length >= 6 && checked >= selects.length, `${selects.length} queries, ${checked} plan steps`);
  });
});
