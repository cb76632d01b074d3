import fs from 'node:fs';
import { recordAudit } from '../db/users.js';
import { cliActor, cliPrincipal } from '../users/cliActor.js';
import path from 'node:path';
import type { Command } from 'commander';
import { BACKEND_ORDER } from '../backend/backendChoice.js';
import { PRESETS } from '../train/presets.js';
import { PRESET_CHOICES, SMALL_CLASS_MEDIAN_VOXELS } from '../train/presetSuggestion.js';
import { loadConfig } from '../config.js';
import { claimJob } from '../db/jobs.js';
import { findDataset } from '../db/catalog.js';
import { resolveRunId } from '../db/idPrefix.js';
import { DatasetNotFoundError } from '../data/datasetInfo.js';
import type { RunReport } from '../train/runReport.js';
import { backendOf, CliOptionError, configFile, int, withPresetFlag } from './options.js';
import { formatRunList, formatRunReport } from './runTables.js';
import { table } from './tables.js';
import { trainProgress } from './trainProgress.js';
import { withDb } from './withDb.js';

interface TrainFlags {
  dataset?: string;
  config?: string;
  preset?: string;
  resume?: string;
  name?: string;
  epochs?: number;
  batchesPerEpoch?: number;
  batchSize?: number;
  patchSize?: number;
  lr?: number;
  strategy?: string;
  seed?: number;
  fold?: string;
  backend?: string;
  json?: boolean;
}

/** The run config from --config and the flags that override it (the preset goes under both; validated later, in one place). */
function runConfigFromFlags(f: TrainFlags): Record<string, unknown> {
  const base = configFile(f.config);
  const section = (key: string) => ({ ...((base[key] as Record<string, unknown> | undefined) ?? {}) });
  const config: Record<string, unknown> = { ...base };
  if (f.dataset) config.dataset = f.dataset;
  if (f.epochs !== undefined) config.epochs = f.epochs;
  if (f.batchesPerEpoch !== undefined) config.batchesPerEpoch = f.batchesPerEpoch;
  if (f.seed !== undefined) config.seed = f.seed;
  if (f.batchSize !== undefined || f.patchSize !== undefined) config.sampling = { ...section('sampling'), ...(f.batchSize !== undefined ? { batchSize: f.batchSize } : {}), ...(f.patchSize !== undefined ? { patchSize: f.patchSize } : {}) };
  if (f.lr !== undefined) config.optimizer = { ...section('optimizer'), learningRate: f.lr };
  if (f.strategy) config.fusion = { ...section('fusion'), strategy: f.strategy };
  if (f.fold) {
    const m = /^(\d+)\/(\d+)$/.exec(f.fold);
    if (!m) throw new CliOptionError(`--fold must look like i/k (e.g. 0/5), got "${f.fold}"`);
    config.split = { ...section('split'), fold: { index: Number(m[1]), folds: Number(m[2]) } };
  }
  return config;
}

function testLine(r: RunReport) {
  return { runId: r.id, status: r.status, error: r.error, bestEpoch: r.bestEpoch, bestValidationDice: r.bestDice, test: r.test };
}

// Training modules (TF.js) are imported when a command needs them, so every other command starts fast.
const jobs = () => import('../jobs/trainingJobs.js');
const reports = () => import('../train/runReport.js');

async function train(f: TrainFlags): Promise<void> {
  const { launchRun, queueResume, runTrainingJob } = await jobs();
  const { runReport } = await reports();
  const cfg = loadConfig();
  const backend = backendOf(f.backend);
  const report = await withDb(async (db) => {
    let job: Awaited<ReturnType<typeof queueResume>>;
    if (f.resume) {
      const runId = await resolveRunId(db, f.resume);
      job = await queueResume(db, runId, cfg.runsDir, { local: true });
      await recordAudit(db, cliActor(), 'run.resume', runId);
    } else {
      if (!f.dataset && !f.config) throw new CliOptionError('give --dataset NAME (or --config run.json naming one), or --resume RUN');
      const config = runConfigFromFlags(f);
      job = (await launchRun(db, await withPresetFlag(db, f.preset, config.dataset, config), { name: f.name, owner: cliActor(), local: true })).job;
    }
    // The foreground command is its own worker: it claims the job it just queued.
    const claimed = await claimJob(db, job.id, `cli:${process.pid}`);
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\nStopping after this batch (Ctrl-C again to quit at once)...\n');
    };
    process.on('SIGINT', onSigint);
    const progress = trainProgress();
    try {
      await runTrainingJob(db, claimed, { cacheDir: cfg.cacheDir, runsDir: cfg.runsDir, backend, onEvent: progress.onEvent, stopRequested: () => interrupted });
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
    }
    return runReport(db, claimed.runId as string);
  });
  if (!f.json) console.log(formatRunReport(report));
  else console.log(JSON.stringify(testLine(report)));
  if (report.status !== 'completed') process.exitCode = 1;
}

/** One line per registered strategy and loss, from their registries (loaded only for `train`, which loads TF.js anyway). */
export interface PluginHelp {
  strategies: { name: string; help: string }[];
  losses: { name: string; help: string }[];
}

export async function loadPluginHelp(): Promise<PluginHelp> {
  const [{ STRATEGIES }, { LOSSES }] = await Promise.all([import('../fusion/registry.js'), import('../losses/registry.js')]);
  return {
    strategies: Object.entries(STRATEGIES).map(([name, p]) => ({ name, help: p.help })),
    losses: Object.entries(LOSSES).map(([name, p]) => ({ name, help: p.help })),
  };
}

export function addTrainCommands(program: Command, plugins: PluginHelp | null = null): void {
  program
    .command('train')
    .description('train a segmentation model on a dataset (foreground job), or resume a stopped run')
    .option('-d, --dataset <name>', 'dataset to train on')
    .option('-c, --config <file>', 'run config JSON (see docs/user-guide.md); flags override it')
    .option('--preset <name>', `run-config preset under --config and the flags: ${PRESET_CHOICES.join(', ')} (default auto: as the dataset's labels call for; see below)`)
    .option('--resume <run>', 'continue an interrupted, cancelled or failed run from its latest checkpoint (its id, or 4 or more of its first characters)')
    .option('--name <name>', 'a name for the run')
    .option('--epochs <n>', 'epochs', int('--epochs'))
    .option('--batches-per-epoch <n>', 'batches per epoch', int('--batches-per-epoch'))
    .option('--batch-size <n>', 'patches per batch', int('--batch-size'))
    .option('--patch-size <n>', 'patch side in pixels', int('--patch-size'))
    .option('--lr <rate>', 'Adam learning rate', Number)
    .option('--strategy <name>', plugins ? `fusion strategy: ${plugins.strategies.map((p) => p.name).join(', ')} (see below)` : 'fusion strategy (listed by `segfusion train --help`)')
    .option('--seed <n>', 'random seed', int('--seed'))
    .option('--fold <i/k>', 'k-fold cross-validation: train fold i of k')
    .option('--backend <name>', `TF.js backend: ${BACKEND_ORDER.join(', ')}`)
    .option('--json', 'print one JSON line at the end: runId, status and test per-class metrics')
    .addHelpText(
      'after',
      plugins
        ? [
            '',
            'Fusion strategies (--strategy, or fusion.strategy in the config):',
            ...plugins.strategies.map((p) => `  ${p.name.padEnd(24)}${p.help}`),
            '',
            'Loss terms (losses[].name in the config):',
            ...plugins.losses.map((p) => `  ${p.name.padEnd(24)}${p.help}`),
            '',
            'Options of each: docs/loss-fusion.md and GET /api/plugins.',
            '',
            'Presets (--preset; what each sets: docs/user-guide.md):',
            ...Object.entries(PRESETS).map(([name, p]) => `  ${name.padEnd(24)}${p.help}`),
            `  ${'auto'.padEnd(24)}(the default) small-lesions when a foreground class has a median of at most ${SMALL_CLASS_MEDIAN_VOXELS} voxels per case, else none`,
            `  ${'none'.padEnd(24)}the run config's defaults`,
          ].join('\n')
        : '',
    )
    .action(train);

  const runs = program.command('runs').description('list and show training runs');
  runs
    .command('list')
    .option('-d, --dataset <name>', 'only runs of this dataset')
    .option('--status <status>', 'only runs with this status')
    .option('--json', 'print JSON')
    .action(async (o: { dataset?: string; status?: string; json?: boolean }) => {
      const [{ reconcileRuns }, { listRunItems }] = await Promise.all([jobs(), reports()]);
      const list = await withDb(async (db) => {
        await reconcileRuns(db);
        const dataset = o.dataset ? await findDataset(db, o.dataset) : null;
        if (o.dataset && !dataset) throw new DatasetNotFoundError(o.dataset);
        return listRunItems(db, { datasetId: dataset?.id, status: o.status, take: 1000 });
      });
      console.log(o.json ? JSON.stringify(list) : formatRunList(list.runs));
    });
  runs
    .command('show')
    .argument('<run>', 'run id, or 4 or more of its first characters')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const [{ reconcileRuns }, { runReport }] = await Promise.all([jobs(), reports()]);
      const report = await withDb(async (db) => {
        await reconcileRuns(db);
        return runReport(db, await resolveRunId(db, id));
      });
      console.log(o.json ? JSON.stringify(report) : formatRunReport(report));
    });
  runs
    .command('report')
    .description('write a self-contained HTML report of a run (curves, per-class tables, worst test cases rendered), printable to PDF')
    .argument('<run>', 'run id, or 4 or more of its first characters')
    .requiredOption('--out <file>', 'HTML file to write')
    .action(async (id: string, o: { out: string }) => {
      const { runReportHtml } = await import('../server/services/runReportService.js');
      const html = await withDb(async (db) => runReportHtml(db, await resolveRunId(db, id)));
      fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
      fs.writeFileSync(o.out, html);
      console.log(`Wrote ${o.out} (${Math.round(html.length / 1024)} kB)`);
    });
  runs
    .command('cancel')
    .description('cancel a queued run, or ask a running one to stop at its next batch (resumable with train --resume)')
    .argument('<run>', 'run id, or 4 or more of its first characters')
    .action(async (id: string) => {
      const { cancelRun } = await import('../server/services/runsService.js');
      const { runId, job } = await withDb(async (db) => {
        const runId = await resolveRunId(db, id);
        return { runId, job: await cancelRun(db, runId, cliPrincipal()) };
      });
      console.log(`run ${runId}: ${job?.status === 'cancelled' ? 'cancelled' : 'asked to stop at its next batch'}`);
    });

  program
    .command('worker')
    .description('execute queued jobs until stopped (Ctrl-C): N slots, each one job at a time; on PostgreSQL any number of hosts share the queue')
    .option('--once', 'exit when the queue is empty')
    .option('--concurrency <n>', 'jobs at a time, each on its own thread (1..16)', int('--concurrency'), 1)
    .option('--backend <name>', `TF.js backend: ${BACKEND_ORDER.join(', ')}`)
    .option('--tags <list>', 'tags this worker offers, comma-separated (e.g. gpu): it also takes jobs that require them')
    .action(async (o: { once?: boolean; concurrency: number; backend?: string; tags?: string }) => {
      const { WorkerPool } = await import('../jobs/workerPool.js');
      const cfg = loadConfig();
      const backend = backendOf(o.backend);
      if (o.concurrency < 1 || o.concurrency > 16) throw new CliOptionError(`--concurrency must be 1 to 16, got ${o.concurrency}`);
      const progress = trainProgress();
      const jobs = new Set<string>();
      await withDb(async (db) => {
        const pool = await WorkerPool.start(db, {
          databaseUrl: cfg.databaseUrl,
          cacheDir: cfg.cacheDir,
          runsDir: cfg.runsDir,
          backend,
          concurrency: o.concurrency,
          tags: o.tags?.split(','),
          leaseMs: cfg.workerLeaseMs,
          once: o.once,
          onEvent: (e) => {
            if (e.type === 'job' && e.status !== 'running') jobs.add(e.jobId);
            // Each job's start and end is a line; the progress display serves one slot only.
            if (e.type === 'job') console.log(`${e.workerId}: ${e.kind} job ${e.jobId}${e.runId ? ` (run ${e.runId})` : ''} ${e.status}`);
            else if (e.type === 'worker') console.log(`${e.workerId}: ${e.backend} backend`);
            else if (o.concurrency === 1) progress.onEvent(e);
          },
        });
        console.log(`worker ${pool.ids.join(', ')}${o.tags ? ` [${o.tags}]` : ''} waiting for jobs`);
        const stop = () => void pool.stop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await pool.done();
        progress.stop();
      });
      console.log(`worker stopped after ${jobs.size} job(s)`);
    });

  program
    .command('workers')
    .description('job workers: host, status, current job, last heartbeat, backend, tags (live ones, and those stopped in the last day)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { listWorkers } = await import('../db/workers.js');
      const workers = await withDb((db) => listWorkers(db));
      if (o.json) return console.log(JSON.stringify(workers));
      if (!workers.length) return console.log('No workers have registered; start one with: segfusion worker');
      const ago = (d: Date) => `${Math.round((Date.now() - d.getTime()) / 1000)} s ago`;
      console.log(
        table(
          ['worker', 'status', 'current run/job', 'last heartbeat', 'backend', 'tags', 'version'],
          workers.map((w) => [w.id, w.status, w.currentRunId ?? w.currentJobId ?? '-', w.status === 'stopped' && w.stoppedAt ? `stopped ${ago(w.stoppedAt)}` : ago(w.heartbeatAt), w.backend, w.tags.join(',') || '-', w.version]),
        ),
      );
    });
}
