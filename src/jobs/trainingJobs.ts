import os from 'node:os';
import { z } from 'zod';
import type { BackendChoice } from '../backend/selectBackend.js';
import type { Db } from '../db/client.js';
import { recordAudit } from '../db/users.js';
import { findDataset } from '../db/catalog.js';
import { enqueueJob, firstJobOfRun, jobControl, markJobInterrupted, requeueJob, settleJob, type ClaimedJob } from '../db/jobs.js';
import { createRun, findRun, interruptIfRunning, markInterrupted, runningRuns, setRunStatus } from '../db/runs.js';
import { processAlive } from '../util/processAlive.js';
import { DatasetNotFoundError, describeDataset, type DatasetInfo } from '../data/datasetInfo.js';
import { checkpointDir } from '../train/checkpoint.js';
import type { TrainingEvent } from '../train/events.js';
import { parseRunConfig, RunConfigError, type RunConfig } from '../train/runConfig.js';
import { drawSplit } from '../train/trainingData.js';
import { executeRun, runDir, RunNotFoundError, RunStateError, type RunOutcome } from '../train/trainer.js';

/**
 * Validates a run config against its dataset (it exists, has labelled series, and the split leaves
 * patients to train on), then stores the run (queued, owned by `owner`) and its training job, and
 * records it in the audit log.
 */
export async function launchRun(db: Db, input: unknown, o: { name?: string; owner: string; priority?: number; tags?: string[]; local?: boolean }) {
  const config: RunConfig = parseRunConfig(input);
  const dataset = await findDataset(db, config.dataset);
  if (!dataset) throw new DatasetNotFoundError(config.dataset);
  const info = await describeDataset(db, config.dataset);
  drawSplit(info, config);
  checkPatchFits(config, info);
  const run = await createRun(db, { datasetId: dataset.id, name: o.name, config, strategy: config.fusion.strategy, seed: config.seed, totalEpochs: config.epochs, owner: o.owner });
  const job = await enqueueJob(db, { kind: 'train', runId: run.id, payload: { resume: false }, priority: o.priority, tags: o.tags, local: o.local });
  await recordAudit(db, o.owner, 'run.create', run.id, { name: o.name ?? null, dataset: config.dataset, strategy: config.fusion.strategy });
  return { run, job };
}

/**
 * Refuses a patch larger than every labelled image of the dataset at the training spacing (the
 * configured one, else the median over the series, as the plan takes it; approximate where the split
 * changes the median): such patches would be mostly padding. The message suggests the largest size
 * that fits and is divisible by 2^depth.
 */
export function checkPatchFits(config: RunConfig, info: DatasetInfo): void {
  const series = info.series.filter((s) => s.label);
  if (!series.length) return;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const target = config.preprocessing.targetSpacing ?? [median(series.map((s) => s.geometry.spacing[0])), median(series.map((s) => s.geometry.spacing[1]))];
  const extent = Math.max(...series.map((s) => Math.min((s.geometry.size[0] * s.geometry.spacing[0]) / target[0], (s.geometry.size[1] * s.geometry.spacing[1]) / target[1])));
  const patch = config.sampling.patchSize;
  if (patch <= extent) return;
  const multiple = 2 ** config.model.depth;
  const fits = Math.floor(extent / multiple) * multiple;
  throw new RunConfigError(
    `run config: sampling.patchSize: a patch of ${patch} pixels is larger than every image of dataset "${info.name}" (at most ${Math.floor(extent)} pixels across at ${target.map((v) => v.toFixed(2)).join(' x ')} mm)${fits >= 8 ? `; try ${fits}` : ''}`,
    'sampling.patchSize',
  );
}

/**
 * Queues a stopped run (interrupted, cancelled or failed) to continue from its latest checkpoint; a run
 * stopped before its first checkpoint starts over.
 */
export async function queueResume(db: Db, runId: string, runsDir: string, o: { local?: boolean } = {}) {
  await reconcileRuns(db);
  const run = await findRun(db, runId);
  if (!run) throw new RunNotFoundError(runId);
  if (!['interrupted', 'cancelled', 'failed'].includes(run.status)) throw new RunStateError(`run ${runId} is ${run.status}; only interrupted, cancelled or failed runs can be resumed`);
  const resume = checkpointDir(runDir(runsDir, runId), 'latest') !== null;
  await setRunStatus(db, runId, 'queued');
  // The resumed run keeps the priority and worker tags of its first job.
  const first = await firstJobOfRun(db, runId);
  return enqueueJob(db, { kind: 'train', runId, payload: { resume }, priority: first?.priority, tags: first?.tags ?? [], local: o.local });
}

/** A run on another host counts as dead when it has not reported for this long. */
const STALE_MS = 10 * 60 * 1000;

/**
 * Marks runs left "running" by a process that no longer exists (kill -9, crash, reboot) as interrupted,
 * with their jobs. Called before listing, resuming and by workers when they start.
 */
export async function reconcileRuns(db: Db): Promise<string[]> {
  const host = os.hostname();
  const dead = (await runningRuns(db))
    .filter((r) => (r.host === host && r.pid !== null && r.pid !== process.pid ? !processAlive(r.pid) : r.host !== host && (!r.heartbeatAt || Date.now() - r.heartbeatAt.getTime() > STALE_MS)))
    .map((r) => r.id);
  await markInterrupted(db, dead);
  return dead;
}

export interface JobRunOptions {
  cacheDir: string;
  runsDir: string;
  backend?: BackendChoice;
  onEvent?: (e: TrainingEvent) => void;
  /** Extra stop signal (Ctrl-C in the CLI), besides a cancel requested through the job. */
  stopRequested?: () => boolean;
  /**
   * A stop signal interrupts the run and puts its job back on the queue (pg-boss's, or SQLite's row), as
   * a stopped queue worker's should; the queue worker sets it. Without it, the foreground `train`
   * command's Ctrl-C cancels the run, resumable with --resume.
   */
  requeueOnStop?: boolean;
}

/** A training job's end: the run's outcome, or 'interrupted' when its worker stopped and the job was queued again. */
export type JobOutcome = Omit<RunOutcome, 'status'> & { status: RunOutcome['status'] | 'interrupted' };

/**
 * Runs a claimed training job to its end and settles it. A job on its second or later attempt was taken
 * over from a lost worker: its run continues from the latest checkpoint in the shared run folder. Before
 * each batch the worker checks the job (one indexed read, well under a millisecond against steps of tens
 * of milliseconds): a cancel stops the run at that batch, on any worker; a job no longer this worker's
 * (declared lost, handed to another) stops without writing anything more.
 */
export async function runTrainingJob(db: Db, job: ClaimedJob, o: JobRunOptions): Promise<JobOutcome> {
  const runId = job.runId;
  if (!runId) throw new RunStateError(`job ${job.id} has no run`);
  const workerId = job.workerId ?? '';
  let resume = TrainPayloadSchema.parse(job.payload).resume;
  if (job.attempts > 1) {
    await interruptIfRunning(db, runId);
    resume = checkpointDir(runDir(o.runsDir, runId), 'latest') !== null;
  }
  let shutdown = false;
  const shouldStop = async () => {
    if (o.stopRequested?.()) {
      shutdown = true;
      return true;
    }
    const control = await jobControl(db, job.id, workerId);
    return control === 'lost' ? ('lost' as const) : control === 'cancel';
  };
  try {
    const outcome = await executeRun(db, runId, { resume, cacheDir: o.cacheDir, runsDir: o.runsDir, backend: o.backend, onEvent: o.onEvent, shouldStop, workerId });
    if (outcome.status === 'cancelled' && shutdown && o.requeueOnStop) {
      // A queue worker stopped (SIGTERM, a restart): the run is not cancelled by anyone, so it goes back
      // on the queue and the next worker continues it from its checkpoint.
      const error = `worker ${workerId} stopped during the run; another worker continues it from its last checkpoint`;
      await setRunStatus(db, runId, 'interrupted', error);
      if (!job.queue) await requeueJob(db, job.id, error);
      else if (!(await settleJob(db, job, 'failed', { error, retry: true }))) await markJobInterrupted(db, job.id);
      return { runId, status: 'interrupted', error };
    }
    if (outcome.status !== 'lost') await settleJob(db, job, outcome.status, { error: outcome.error ?? null });
    return outcome;
  } catch (err) {
    await settleJob(db, job, 'failed', { error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

const TrainPayloadSchema = z.object({ resume: z.boolean().default(false) });
