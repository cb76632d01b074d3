import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isRecord } from '../../util/deepMerge.js';
import type { Redactor } from '../redact.js';
import type { Db } from '../../db/client.js';
import { recordAudit } from '../../db/users.js';
import { ForbiddenError, mayActOnRun, type Principal } from '../../users/roles.js';
import { findDataset } from '../../db/catalog.js';
import { activeJobOfRun, requestCancel } from '../../db/jobs.js';
import { annotateRun, deleteRunRecord, runOwnership, runTraces } from '../../db/runs.js';
import { DatasetNotFoundError } from '../../data/datasetInfo.js';
import { exportRun } from '../../export/exportRun.js';
import { MAX_TAGS, TAG_PATTERN } from '../../db/jobQueue.js';
import { launchRun, queueResume, reconcileRuns } from '../../jobs/trainingJobs.js';
import { presetUnder } from '../../train/presets.js';
import { PRESET_CHOICES, withResolvedPreset } from '../../train/presetSuggestion.js';
import { RunConfigSchema } from '../../train/runConfig.js';
import { listRunItems, runReport } from '../../train/runReport.js';
import { runDir, RunNotFoundError, RunStateError } from '../../train/trainer.js';
import { PageSchema } from './datasetsService.js';

export const RunListQuerySchema = PageSchema.extend({
  dataset: z.string().min(1).optional(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']).optional(),
});

const Tags = z.array(z.string().min(1).max(40)).max(20);

export const CreateRunSchema = z.preprocess(
  presetUnder('config'),
  z.strictObject({
    name: z.string().min(1).max(200).optional(),
    tags: Tags.optional(),
    notes: z.string().max(10_000).optional(),
    /** Queue priority of its training job: higher runs first (default 0). */
    priority: z.number().int().min(-100).max(100).optional(),
    /** Worker tags its training job requires, e.g. ["gpu"] (jobQueue.ts: lower-case letters, digits, '-'). */
    requires: z.array(z.string().regex(TAG_PATTERN, "lower-case letters, digits or '-', at most 20")).max(MAX_TAGS).optional(),
    /** A run-config preset (src/train/presets.ts) that `config` is laid over; "auto" (when left out): as the dataset's labels call for (train/presetSuggestion.ts). */
    preset: z.enum(PRESET_CHOICES).optional(),
    config: RunConfigSchema,
  }),
);

export const UpdateRunSchema = z
  .strictObject({ name: z.string().min(1).max(200).nullable().optional(), tags: Tags.optional(), notes: z.string().max(10_000).nullable().optional() })
  .refine((u) => Object.keys(u).length > 0, 'give at least one of name, tags, notes');

export async function listRunsPage(db: Db, q: z.infer<typeof RunListQuerySchema>) {
  await reconcileRuns(db);
  const dataset = q.dataset ? await findDataset(db, q.dataset) : null;
  if (q.dataset && !dataset) throw new DatasetNotFoundError(q.dataset);
  const { total, runs } = await listRunItems(db, { datasetId: dataset?.id, status: q.status, take: q.limit, skip: q.offset });
  return { total, items: runs };
}

/** POST /api/runs: the preset resolved for the config's dataset, then the request validated and the run queued. */
export async function createRunFromRequest(db: Db, raw: unknown, actor: Principal) {
  const { body: resolved, preset } = await withResolvedPreset(db, raw, (b) => (isRecord(b.config) ? b.config.dataset : undefined));
  const body = CreateRunSchema.parse(resolved);
  const { run, job } = await launchRun(db, body.config, { name: body.name, owner: actor.name, priority: body.priority, tags: body.requires });
  if (body.tags || body.notes) await annotateRun(db, run.id, { tags: body.tags, notes: body.notes ?? null });
  return { run: await runReport(db, run.id), jobId: job.id, preset };
}

export async function getRun(db: Db, id: string) {
  await reconcileRuns(db);
  return runReport(db, id);
}

/** Everything a run's charts need: per-epoch records and the (down-sampled) per-batch traces. */
export async function runCurves(db: Db, id: string) {
  const report = await runReport(db, id);
  const traces = await runTraces(db, id);
  return {
    lossNames: (report.config.losses as { name: string }[] | undefined)?.map((l) => l.name) ?? [],
    epochs: report.epochs,
    batches: traces,
  };
}

/**
 * The run, when `actor` may change it (its owner as a researcher, or an admin): 404 for a run that
 * does not exist, else 403 naming who launched it.
 */
async function runToChange(db: Db, id: string, actor: Principal, what: string) {
  const run = await runOwnership(db, id);
  if (!run) throw new RunNotFoundError(id);
  if (!mayActOnRun(actor, run.owner)) throw new ForbiddenError(`${actor.name} (${actor.role}) may not ${what} run ${id}: it was launched by ${run.owner ?? 'nobody recorded'}, and only its owner or an admin may`);
  return run;
}

export async function updateRun(db: Db, id: string, u: z.infer<typeof UpdateRunSchema>, actor: Principal) {
  await runToChange(db, id, actor, 'change');
  await recordAudit(db, actor.name, 'run.update', id, { fields: Object.keys(u) });
  await annotateRun(db, id, u);
  return runReport(db, id);
}

/** Deletes a run that is not active, with its records (cascade) and its folder (checkpoints, predictions, exports). */
export async function deleteRun(db: Db, id: string, runsDir: string, actor: Principal) {
  await reconcileRuns(db);
  const run = await runOwnership(db, id);
  if (!run) throw new RunNotFoundError(id);
  if (run.status === 'running' || run.status === 'queued') throw new RunStateError(`run ${id} is ${run.status}; cancel it before deleting it`);
  await deleteRunRecord(db, id);
  await recordAudit(db, actor.name, 'run.delete', id, { name: run.name, owner: run.owner });
  fs.rmSync(runDir(runsDir, id), { recursive: true, force: true });
}

export async function cancelRun(db: Db, id: string, actor: Principal) {
  await runToChange(db, id, actor, 'cancel');
  const job = await activeJobOfRun(db, id);
  if (!job) throw new RunStateError(`run ${id} has no queued or running job to cancel`);
  await recordAudit(db, actor.name, 'run.cancel', id);
  return requestCancel(db, job.id);
}

export async function resumeRun(db: Db, id: string, runsDir: string, actor: Principal) {
  await runToChange(db, id, actor, 'resume');
  const job = await queueResume(db, id, runsDir);
  await recordAudit(db, actor.name, 'run.resume', id);
  return job;
}

/** Exports the best checkpoint into the run's folder and returns the zip to send. */
export async function exportZip(db: Db, id: string, runsDir: string, actor: Principal): Promise<string> {
  const result = await exportRun(db, id, { out: path.join(runDir(runsDir, id), 'export', 'segfusion-model'), zip: true, runsDir });
  await recordAudit(db, actor.name, 'run.export', id);
  return result.zip as string;
}

const CSV_COLUMNS = [
  'split',
  'patientId',
  'seriesInstanceUid',
  'className',
  'dice',
  'iou',
  'sensitivity',
  'specificity',
  'precision',
  'hd95',
  'assd',
  'groundTruthVoxels',
  'predictedVoxels',
  'lesions',
  'lesionsFound',
  'falsePositiveComponents',
  'detectionSensitivity',
  'detectionF1',
] as const;

/**
 * A download's file name: "segfusion-<run name>-<first 8 of the id>-<what>", the name reduced to
 * letters, digits, '.', '_' and '-' (at most 60), so a header cannot be broken by what a user typed.
 */
export function downloadName(run: { id: string; name: string | null }, what: string): string {
  const name = (run.name ?? '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return ['segfusion', name, run.id.slice(0, 8), what].filter(Boolean).join('-');
}

/** A run's id and name, for download names; a missing run is a 404. */
export async function runIdentity(db: Db, id: string): Promise<{ id: string; name: string | null }> {
  const run = await runOwnership(db, id);
  if (!run) throw new RunNotFoundError(id);
  return { id: run.id, name: run.name };
}

/** Per-case, per-class metrics as CSV (RFC 4180 quoting), one row per case and class. */
export async function metricsCsv(db: Db, id: string, redact: Redactor): Promise<string> {
  const report = redact.value(await runReport(db, id));
  const quote = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  // Every row names its run, so CSVs of several runs can be concatenated and still told apart.
  const run = [quote(report.id), quote(report.name)];
  return `${[['runId', 'runName', ...CSV_COLUMNS].join(','), ...report.cases.map((c) => [...run, ...CSV_COLUMNS.map((k) => quote(c[k]))].join(','))].join('\n')}\n`;
}

export const CompareQuerySchema = z.object({
  runs: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.string().min(1)).min(2, 'compare needs at least 2 runs').max(20, 'compare takes at most 20 runs at once')),
});

/** 2-20 runs side by side: their epochs and test summaries (the client plots and diffs them). */
export async function compareRuns(db: Db, ids: string[]) {
  const reports = await Promise.all(ids.map((id) => runReport(db, id)));
  return reports.map((r) => ({
    id: r.id,
    name: r.name,
    dataset: r.dataset,
    strategy: r.strategy,
    status: r.status,
    bestDice: r.bestDice,
    bestEpoch: r.bestEpoch,
    durationMs: r.durationMs,
    epochs: r.epochs,
    test: r.test,
    config: r.config,
    // Per-case test results, for the paired scatter of two runs.
    cases: r.cases.filter((c) => c.split === 'test').map((c) => ({ seriesInstanceUid: c.seriesInstanceUid, patientId: c.patientId, className: c.className, dice: c.dice, sensitivity: c.sensitivity })),
  }));
}
