import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Run, RunEpoch } from '../../generated/prisma/index.js';
import { PreprocessingPlanSchema, type PreprocessingPlan } from '../data/preprocessPlan.js';
import { SplitSchema, type Split } from '../data/split.js';
import type { ClassMetrics } from '../metrics/segmentationMetrics.js';
import { OperatingPointSchema, type OperatingPoint } from '../train/operatingPoint.js';
import type { Db } from './client.js';
import { hasQueue } from './jobQueue.js';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export async function createRun(db: Db, r: { datasetId: string; name?: string; config: unknown; strategy: string; seed: number; totalEpochs: number; owner: string }) {
  return db.run.create({
    data: { id: randomUUID(), datasetId: r.datasetId, name: r.name ?? null, status: 'queued', config: JSON.stringify(r.config), strategy: r.strategy, seed: r.seed, totalEpochs: r.totalEpochs, owner: r.owner },
  });
}

/** Test summary per class and metric: mean, std, median over the test cases, and their number. */
export type TestSummary = Record<string, Record<string, { mean: number | null; std: number | null; median: number | null; n: number }>>;

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

interface ListedColumns {
  config: Record<string, unknown>;
  tags: string[];
  testSummary: TestSummary | null;
}

const listedColumns = (r: Pick<Run, keyof ListedColumns>): ListedColumns => ({ config: JSON.parse(r.config) as Record<string, unknown>, tags: JSON.parse(r.tags) as string[], testSummary: json<TestSummary>(r.testSummary) });

/** A run row with the columns a run list shows parsed: the run config (validated when a run starts), tags and test summary. */
function listedRun<R extends Pick<Run, keyof ListedColumns>>(r: R): Omit<R, keyof ListedColumns> & ListedColumns {
  return { ...r, ...listedColumns(r) };
}

interface ParsedColumns extends ListedColumns {
  split: Split | null;
  plan: PreprocessingPlan | null;
  backend: Record<string, unknown> | null;
  versions: Record<string, string> | null;
  operatingPoint: OperatingPoint | null;
}

/** A run row with every JSON column parsed, its manifests (split, plan, operating point) validated: nobody outside db/ parses them. */
function parsedRun<R extends Run>(r: R): Omit<R, keyof ParsedColumns> & ParsedColumns {
  const parsed: ParsedColumns = {
    ...listedColumns(r),
    split: r.split ? SplitSchema.parse(JSON.parse(r.split)) : null,
    plan: r.plan ? PreprocessingPlanSchema.parse(JSON.parse(r.plan)) : null,
    backend: json<Record<string, unknown>>(r.backend),
    versions: json<Record<string, string>>(r.versions),
    operatingPoint: r.operatingPoint ? OperatingPointSchema.parse(JSON.parse(r.operatingPoint)) : null,
  };
  return { ...r, ...parsed };
}

const parsedEpoch = (e: RunEpoch) => ({
  ...e,
  terms: JSON.parse(e.terms) as Record<string, number>,
  weights: JSON.parse(e.weights) as Record<string, number>,
  valMetrics: JSON.parse(e.valMetrics) as Record<string, Record<string, number | null>>,
});

export async function findRun(db: Db, id: string) {
  const r = await db.run.findUnique({ where: { id }, include: { dataset: { select: { name: true } } } });
  return r && parsedRun(r);
}
export type StoredRun = NonNullable<Awaited<ReturnType<typeof findRun>>>;

/** Marks a run as running in this process (pid and host let others recognise it once it is dead). */
export async function markRunning(db: Db, id: string, fields: { backend: string; versions: string; workerId: string | null }) {
  await db.run.update({
    where: { id },
    data: { status: 'running', startedAt: new Date(), finishedAt: null, error: null, pid: process.pid, host: os.hostname(), heartbeatAt: new Date(), ...fields },
  });
}

export async function saveRunManifests(db: Db, id: string, m: { split: string; plan: string }) {
  await db.run.update({ where: { id }, data: m });
}

export async function heartbeat(db: Db, id: string) {
  await db.run.update({ where: { id }, data: { heartbeatAt: new Date() } });
}

export async function finishRun(db: Db, id: string, status: RunStatus, fields: { error?: string | null; testSummary?: string; operatingPoint?: string | null; durationMs?: number } = {}) {
  await db.run.update({ where: { id }, data: { status, finishedAt: new Date(), pid: null, ...fields } });
}

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  loss: number;
  terms: Record<string, number>;
  weights: Record<string, number>;
  valDice: number | null;
  valMetrics: Record<string, Record<string, number | null>>;
  durationMs: number;
}

export interface TraceRecord {
  step: number;
  epoch: number;
  learningRate: number;
  loss: number;
  terms: number[];
  weights: number[];
  /** [loss][class] factors where the strategy weights (loss, class) pairs. */
  classWeights?: number[][];
  /** Per class: the batch's voxel sensitivity (null: class absent). */
  sensitivity?: (number | null)[];
}

const traceRow = (runId: string, t: TraceRecord) => ({
  id: randomUUID(),
  runId,
  ...t,
  terms: JSON.stringify(t.terms),
  weights: JSON.stringify(t.weights),
  classWeights: t.classWeights ? JSON.stringify(t.classWeights) : null,
  sensitivity: t.sensitivity ? JSON.stringify(t.sensitivity) : null,
});

/** Batch traces of the epoch in progress (the rest of the epoch's come with saveEpoch). */
export async function saveTraces(db: Db, runId: string, traces: TraceRecord[]) {
  if (traces.length) await db.batchTrace.createMany({ data: traces.map((t) => traceRow(runId, t)) });
}

/** One transaction per epoch: its record, its (remaining) batch traces and the run's progress fields. */
export async function saveEpoch(db: Db, runId: string, e: EpochRecord, traces: TraceRecord[], progress: { epochsDone: number; bestEpoch: number | null; bestDice: number | null; durationMs: number }) {
  await db.$transaction([
    db.runEpoch.create({ data: { id: randomUUID(), runId, ...e, terms: JSON.stringify(e.terms), weights: JSON.stringify(e.weights), valMetrics: JSON.stringify(e.valMetrics) } }),
    db.batchTrace.createMany({ data: traces.map((t) => traceRow(runId, t)) }),
    db.run.update({ where: { id: runId }, data: { ...progress, heartbeatAt: new Date() } }),
  ]);
}

/** On resume: forget what the killed attempt recorded after the checkpoint it resumes from. */
export async function discardAfterEpoch(db: Db, runId: string, epoch: number) {
  await db.$transaction([db.runEpoch.deleteMany({ where: { runId, epoch: { gt: epoch } } }), db.batchTrace.deleteMany({ where: { runId, epoch: { gt: epoch } } })]);
}

export async function upsertArtifact(db: Db, runId: string, a: { kind: string; name: string; path: string; sha256: string; bytes: number; epoch?: number | null }) {
  const data = { path: a.path, sha256: a.sha256, bytes: a.bytes, epoch: a.epoch ?? null, createdAt: new Date() };
  await db.artifact.upsert({ where: { runId_kind_name: { runId, kind: a.kind, name: a.name } }, update: data, create: { id: randomUUID(), runId, kind: a.kind, name: a.name, ...data } });
}

export type CaseMetricRecord = ClassMetrics & {
  split: 'validation' | 'test';
  seriesInstanceUid: string;
  patientId: string;
  classIndex: number;
  className: string;
};

export async function saveCaseMetrics(db: Db, runId: string, rows: CaseMetricRecord[]) {
  await db.$transaction([db.caseMetric.deleteMany({ where: { runId } }), db.caseMetric.createMany({ data: rows.map((r) => ({ id: randomUUID(), runId, ...r })) })]);
}

export async function listRuns(db: Db, o: { datasetId?: string; status?: string; take: number; skip: number }) {
  const where = { ...(o.datasetId ? { datasetId: o.datasetId } : {}), ...(o.status ? { status: o.status } : {}) };
  const [total, rows] = await Promise.all([db.run.count({ where }), db.run.findMany({ where, orderBy: { createdAt: 'desc' }, take: o.take, skip: o.skip, include: { dataset: { select: { name: true } } } })]);
  return { total, rows: rows.map(listedRun) };
}

/** A run with its epochs, case metrics and artifacts: four indexed queries, whatever the number of epochs. */
export async function runDetail(db: Db, id: string) {
  const r = await db.run.findUnique({
    where: { id },
    include: {
      dataset: { select: { name: true } },
      epochs: { orderBy: { epoch: 'asc' } },
      caseMetrics: { orderBy: [{ split: 'asc' }, { patientId: 'asc' }, { classIndex: 'asc' }] },
      artifacts: { orderBy: { createdAt: 'asc' } },
    },
  });
  return r && { ...parsedRun(r), epochs: r.epochs.map(parsedEpoch) };
}

/** A run's batch traces, their JSON columns parsed. */
export async function runTraces(db: Db, runId: string): Promise<TraceRecord[]> {
  const rows = await db.batchTrace.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  return rows.map((t) => ({
    step: t.step,
    epoch: t.epoch,
    learningRate: t.learningRate,
    loss: t.loss,
    terms: JSON.parse(t.terms) as number[],
    weights: JSON.parse(t.weights) as number[],
    ...(t.classWeights ? { classWeights: JSON.parse(t.classWeights) as number[][] } : {}),
    ...(t.sensitivity ? { sensitivity: JSON.parse(t.sensitivity) as (number | null)[] } : {}),
  }));
}

/** Who launched a run and where it stands, for permission checks and download names (null: no such run). */
export async function runOwnership(db: Db, id: string) {
  return db.run.findUnique({ where: { id }, select: { id: true, owner: true, status: true, name: true } });
}

/** Sets what a person may edit on a run: its name, tags and notes (fields left undefined stay). */
export async function annotateRun(db: Db, id: string, a: { name?: string | null; tags?: string[]; notes?: string | null }) {
  await db.run.update({ where: { id }, data: { ...(a.name !== undefined ? { name: a.name } : {}), ...(a.tags ? { tags: JSON.stringify(a.tags) } : {}), ...(a.notes !== undefined ? { notes: a.notes } : {}) } });
}

/** Deletes a run's records (epochs, traces, metrics, artifacts and jobs go with it: cascade). */
export async function deleteRunRecord(db: Db, id: string) {
  await db.run.delete({ where: { id } });
}

/** Sets a run's status, with the error it stopped on where one is given. */
export async function setRunStatus(db: Db, id: string, status: RunStatus, error?: string) {
  await db.run.update({ where: { id }, data: { status, ...(error !== undefined ? { error } : {}) } });
}

/** A run still marked running whose job was taken over from a lost worker: interrupted, so it can resume. */
export async function interruptIfRunning(db: Db, id: string) {
  await db.run.updateMany({ where: { id, status: 'running' }, data: { status: 'interrupted' } });
}

export async function runningRuns(db: Db) {
  return db.run.findMany({ where: { status: 'running' }, select: { id: true, pid: true, host: true, heartbeatAt: true } });
}

export async function markInterrupted(db: Db, ids: string[]) {
  if (ids.length === 0) return;
  // With pg-boss, workers' jobs are the lease reaper's (workers.ts), which puts them back on the queue;
  // a foreground `train` (worker "cli:PID") queued nothing and is settled here.
  const jobs = hasQueue(db) ? { runId: { in: ids }, status: 'running', workerId: { startsWith: 'cli:' } } : { runId: { in: ids }, status: 'running' };
  await db.$transaction([
    db.run.updateMany({ where: { id: { in: ids }, status: 'running' }, data: { status: 'interrupted', pid: null, error: 'the process running it stopped without finishing (killed or crashed); resume with: segfusion train --resume RUN' } }),
    db.job.updateMany({ where: jobs, data: { status: 'interrupted', finishedAt: new Date() } }),
  ]);
}
