import { poolDetections, type LesionTotals } from '../metrics/lesionDetection.js';
import type { Db } from '../db/client.js';
import { listRuns, runDetail, type TestSummary } from '../db/runs.js';
import { RunNotFoundError } from './trainer.js';

export interface RunListItem {
  id: string;
  name: string | null;
  dataset: string;
  status: string;
  strategy: string;
  seed: number;
  epochsDone: number;
  totalEpochs: number;
  bestDice: number | null;
  bestEpoch: number | null;
  durationMs: number;
  createdAt: string;
  tags: string[];
  studyId: string | null;
  /** Who launched it (a user, token, local or cli:USER), null for runs from before accounts. */
  owner: string | null;
  /** The worker (host:pid/slot) that ran its last attempt, null before one took it. */
  worker: string | null;
  /** Test means per class and metric (null until the run has been evaluated). */
  test: Record<string, Record<string, number | null>> | null;
  /** The run config, for parameter columns and filters. */
  config: Record<string, unknown>;
}

export async function listRunItems(db: Db, o: { datasetId?: string; status?: string; take?: number; skip?: number } = {}): Promise<{ total: number; runs: RunListItem[] }> {
  const { total, rows } = await listRuns(db, { take: o.take ?? 50, skip: o.skip ?? 0, datasetId: o.datasetId, status: o.status });
  return {
    total,
    runs: rows.map((r) => ({
      id: r.id,
      name: r.name,
      dataset: r.dataset.name,
      status: r.status,
      strategy: r.strategy,
      seed: r.seed,
      epochsDone: r.epochsDone,
      totalEpochs: r.totalEpochs,
      bestDice: r.bestDice,
      bestEpoch: r.bestEpoch,
      durationMs: r.durationMs,
      createdAt: r.createdAt.toISOString(),
      tags: r.tags,
      studyId: r.studyId,
      owner: r.owner,
      worker: r.workerId,
      test: testMeans(r.testSummary),
      config: r.config,
    })),
  };
}

function testMeans(summary: TestSummary | null): RunListItem['test'] {
  if (!summary) return null;
  return Object.fromEntries(Object.entries(summary).map(([cls, metrics]) => [cls, Object.fromEntries(Object.entries(metrics).map(([m, a]) => [m, a.mean]))]));
}

/** Pooled lesion-wise detection per split and class, from the per-case rows. */
function lesionTotals(rows: { split: string; className: string; lesions: number; lesionsFound: number; falsePositiveComponents: number }[]): Record<string, Record<string, LesionTotals>> {
  const out: Record<string, Record<string, LesionTotals>> = {};
  for (const split of new Set(rows.map((r) => r.split))) {
    out[split] = {};
    for (const cls of new Set(rows.filter((r) => r.split === split).map((r) => r.className))) out[split][cls] = poolDetections(rows.filter((r) => r.split === split && r.className === cls));
  }
  return out;
}

/** Everything stored about a run, as plain JSON (CLI `runs show --json`, the dashboard's run page). */
export async function runReport(db: Db, id: string) {
  const r = await runDetail(db, id);
  if (!r) throw new RunNotFoundError(id);
  return {
    id: r.id,
    name: r.name,
    dataset: r.dataset.name,
    status: r.status,
    error: r.error,
    strategy: r.strategy,
    seed: r.seed,
    owner: r.owner,
    /** The worker (host:pid/slot) that ran its last attempt. */
    worker: r.workerId,
    config: r.config,
    split: r.split,
    /** The preprocessing plan (class names, spacing, intensity normalisation), once the run has started. */
    plan: r.plan,
    backend: r.backend,
    versions: r.versions,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    durationMs: r.durationMs,
    epochsDone: r.epochsDone,
    totalEpochs: r.totalEpochs,
    bestEpoch: r.bestEpoch,
    bestDice: r.bestDice,
    tags: r.tags,
    notes: r.notes,
    test: r.testSummary,
    /** Per target class: the threshold calibrated on validation and the sensitivity it reaches on test. */
    operatingPoint: r.operatingPoint,
    epochs: r.epochs.map((e) => ({ epoch: e.epoch, learningRate: e.learningRate, loss: e.loss, terms: e.terms, weights: e.weights, valDice: e.valDice, valMetrics: e.valMetrics, durationMs: e.durationMs })),
    cases: r.caseMetrics.map(({ id: _id, runId: _run, ...m }) => m),
    lesions: lesionTotals(r.caseMetrics),
    artifacts: r.artifacts.map((a) => ({ kind: a.kind, name: a.name, path: a.path, sha256: a.sha256, bytes: a.bytes, epoch: a.epoch })),
  };
}
export type RunReport = Awaited<ReturnType<typeof runReport>>;
