import { recordAudit } from '../db/users.js';
import { cliActor } from '../users/cliActor.js';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { describeDataset, listDatasetSummaries, DatasetNotFoundError } from '../data/datasetInfo.js';
import { exportNnunet } from '../data/exportNnunet.js';
import { DEMO_COHORT, EASY, ensureSyntheticCohort, HARD, HARD_COHORT, type SyntheticDifficulty } from '../data/synthetic.js';
import { DicomError, describeThrown } from '../dicom/errors.js';
import { inspectFile, type InspectResult } from '../dicom/inspect.js';
import { DicomWebError } from '../dicomweb/dicomwebClient.js';
import { ingest } from '../ingest/ingest.js';
import { ingestFromDicomWeb } from '../ingest/ingestDicomWeb.js';
import { LabelsFolderError } from '../ingest/labels.js';
import { logger } from '../util/logger.js';
import { phaseProgress } from './progress.js';
import { addModelCommands } from './modelCommands.js';
import { addServeCommand } from './serveCommand.js';
import { addDbCommands } from './dbCommands.js';
import { addUserCommands } from './userCommands.js';
import { addStudyCommands } from './studyCommands.js';
import { addTrainCommands, loadPluginHelp, type PluginHelp } from './trainCommands.js';
import { withDb } from './withDb.js';
import { formatDatasetInfo, formatIngestSummary, table } from './tables.js';

/** Errors a user can act on: printed as one line, exit status 1, no stack trace. */
const USER_ERRORS = [DatasetNotFoundError, LabelsFolderError, DicomError, DicomWebError];

const isServer = (p: string) => /^(dicomwebs?|https?):\/\//i.test(p);

async function runIngest(paths: string[], opts: { dataset: string; labels?: string; json?: boolean; study?: string; query?: string }) {
  const progress = phaseProgress();
  const config = loadConfig();
  const servers = paths.filter(isServer);
  if (servers.length > 1 || (servers.length && paths.length > 1)) throw new DicomWebError('give one DICOMweb server, or folders, not both');
  if (!servers.length && (opts.study || opts.query)) throw new DicomWebError('--study and --query select from a DICOMweb server: give dicomweb://HOST/PATH as the source');
  if (servers.length && !!opts.study === !!opts.query) throw new DicomWebError('with a DICOMweb server, give --study UID or --query "Modality=CT&StudyDate=..." (one of them)');
  const base = { dataset: opts.dataset, labelsDir: opts.labels, cacheDir: config.cacheDir, onProgress: progress.update };
  const summary = await withDb(async (db) => {
    await recordAudit(db, cliActor(), 'dataset.ingest', opts.dataset, servers.length ? { server: servers[0], study: opts.study ?? null, query: opts.query ?? null } : { paths, labels: opts.labels ?? null });
    return servers.length
      ? ingestFromDicomWeb(db, { ...base, url: servers[0], selection: opts.study ? { study: opts.study } : { query: opts.query! }, auth: config.pacs.auth, mirrorDir: config.pacs.mirrorDir })
      : ingest(db, { ...base, paths });
  }).finally(progress.stop);
  logger.info({ dataset: summary.dataset, series: summary.series, errors: summary.errors, warnings: summary.warnings, ms: summary.durationMs }, 'ingest finished');
  console.log(opts.json ? JSON.stringify(summary) : formatIngestSummary(summary));
}

function formatInspect(r: InspectResult): string {
  const rows: [string, string | number][] = [
    ['file', r.file],
    ['SOP Instance UID', r.sopInstanceUid],
    ['SOP Class UID', r.sopClassUid],
    ['modality', r.modality],
    ['transfer syntax', r.transferSyntaxUid],
    ['size', `${r.columns} x ${r.rows} x ${r.frames} frame(s), ${r.samplesPerPixel} sample(s)`],
    ['photometric', r.photometricInterpretation],
    ['bits', `${r.bitsStored} of ${r.bitsAllocated}, ${r.pixelRepresentation ? 'signed' : 'unsigned'}`],
    ['rescale', `slope ${r.rescaleSlope}, intercept ${r.rescaleIntercept}`],
    ['stored values', `min ${r.pixel.min}, max ${r.pixel.max}, mean ${r.pixel.mean.toFixed(3)}`],
  ];
  if (r.modalityLut) rows.push(['after modality LUT', `min ${r.modalityLut.min}, max ${r.modalityLut.max}, mean ${r.modalityLut.mean.toFixed(3)}`]);
  if (r.note) rows.push(['note', r.note]);
  return rows.map(([k, v]) => `${k.padEnd(20)} ${v}`).join('\n');
}

/** "lo,hi" as a range of two numbers, lo <= hi. */
const range =
  (flag: string) =>
  (v: string): [number, number] => {
    const parts = v.split(',').map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] > parts[1]) throw new Error(`${flag} must be "lo,hi" with lo <= hi, got "${v}"`);
    return [parts[0], parts[1]];
  };

/** The chosen difficulty with the knobs given on the command line. */
function demoDifficulty(base: SyntheticDifficulty, o: { lesions?: [number, number]; lesionRadius?: [number, number]; lesionContrast?: number; noise?: number }): SyntheticDifficulty {
  if (o.lesions && !o.lesions.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`--lesions must be whole numbers >= 0, got ${o.lesions.join(',')}`);
  if (o.lesionRadius && o.lesionRadius[0] <= 0) throw new Error(`--lesion-radius must be above 0 mm, got ${o.lesionRadius.join(',')}`);
  if (o.noise !== undefined && !(o.noise >= 0)) throw new Error(`--noise must be a number >= 0, got ${o.noise}`);
  if (o.lesionContrast !== undefined && !Number.isFinite(o.lesionContrast)) throw new Error('--lesion-contrast must be a number of HU');
  return { ...base, lesionCount: o.lesions ?? base.lesionCount, lesionRadiusMm: o.lesionRadius ?? base.lesionRadiusMm, lesionContrastHu: o.lesionContrast ?? base.lesionContrastHu, noiseHu: o.noise ?? base.noiseHu };
}

export function buildProgram(plugins: PluginHelp | null = null): Command {
  const program = new Command('segfusion').description('DICOM to trained, evaluated segmentation models with multi-loss fusion').showHelpAfterError();

  program
    .command('ingest')
    .description('import DICOM folders, or series from a DICOMweb server (PACS), with their labels into a dataset')
    .argument('<paths...>', 'DICOM files or folders, scanned recursively; or one server, dicomweb://HOST[:PORT]/PATH')
    .requiredOption('-d, --dataset <name>', 'dataset to create or add to')
    .option('-l, --labels <dir>', 'folder of NIfTI label maps, SEG or RTSTRUCT files (+ labels.json, manifest.csv)')
    .option('--study <uid>', 'from a server: the StudyInstanceUID to pull')
    .option('--query <qido>', 'from a server: a QIDO-RS series query, e.g. "Modality=CT&StudyDate=20240101-20241231"')
    .option('--json', 'print the summary as JSON')
    .action(runIngest);

  program
    .command('inspect')
    .description('header values and decoded pixel statistics of one DICOM file')
    .argument('<file>')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const result = await inspectFile(path.resolve(file));
        console.log(opts.json ? JSON.stringify(result) : formatInspect(result));
      } catch (err) {
        const message = describeThrown(err);
        if (opts.json) console.log(JSON.stringify({ error: message }));
        else console.error(`error: ${message}`);
        process.exitCode = 2;
      }
    });

  const dataset = program.command('dataset').description('list, show and export datasets');
  dataset
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withDb(listDatasetSummaries);
      console.log(
        opts.json
          ? JSON.stringify(rows)
          : table(
              ['dataset', 'patients', 'series', 'created'],
              rows.map((r) => [r.name, r.patients, r.series, r.createdAt]),
            ),
      );
    });
  dataset
    .command('show')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { datasetDetail } = await import('../server/services/datasetsService.js');
      const info = await withDb((db) => datasetDetail(db, name));
      console.log(opts.json ? JSON.stringify(info) : formatDatasetInfo(info));
    });
  dataset
    .command('export')
    .argument('<name>')
    .requiredOption('--out <dir>', 'output folder')
    .option('--format <format>', 'export layout (nnunet)', 'nnunet')
    .action(async (name: string, opts: { out: string; format: string }) => {
      if (opts.format !== 'nnunet') throw new Error(`--format must be "nnunet", got "${opts.format}"`);
      const info = await withDb((db) => describeDataset(db, name));
      const progress = phaseProgress();
      const result = exportNnunet(info, opts.out, (d, t) => progress.update('export', d, t));
      progress.stop();
      console.log(`Wrote ${result.training.length} training and ${result.test.length} unlabelled case(s) to ${result.out}`);
    });

  program
    .command('demo')
    .description('write a synthetic CT cohort (and optionally ingest it): the easy demo, or --difficulty hard with 1-3-voxel lesions, to compare strategies and settings where small structures are hardest')
    .option('--difficulty <level>', 'easy (the demo: 12 patients, lesions 3.5-6 mm, 70 HU contrast) or hard (16 patients, lesions 3-7 mm at 2.4-3.2 mm pixels, 18 HU darker, 15 HU noise)', 'easy')
    .option('--out <dir>', 'output folder (default datasets/demo, or datasets/demo-hard)')
    .option('--patients <n>', 'number of patients', (v) => Number.parseInt(v, 10))
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10))
    .option('--lesions <lo,hi>', 'lesions per patient, a range of integers', range('--lesions'))
    .option('--lesion-radius <lo,hi>', 'lesion radius range in mm', range('--lesion-radius'))
    .option('--lesion-contrast <hu>', 'lesion HU relative to the organ (negative: darker)', Number)
    .option('--noise <hu>', 'gaussian noise standard deviation in HU', Number)
    .option('--ingest', 'ingest it afterwards, as dataset "demo" (or "demo-hard")')
    .option('--force', 'regenerate even if the folder exists')
    .action(async (opts: { difficulty: string; out?: string; patients?: number; seed?: number; lesions?: [number, number]; lesionRadius?: [number, number]; lesionContrast?: number; noise?: number; ingest?: boolean; force?: boolean }) => {
      if (opts.difficulty !== 'easy' && opts.difficulty !== 'hard') throw new Error(`--difficulty must be easy or hard, got "${opts.difficulty}"`);
      const hard = opts.difficulty === 'hard';
      const base = hard ? HARD_COHORT : DEMO_COHORT;
      const out = opts.out ?? (hard ? 'datasets/demo-hard' : 'datasets/demo');
      const cohort = { ...base, out, patients: opts.patients ?? base.patients, seed: opts.seed ?? base.seed, difficulty: demoDifficulty(hard ? HARD : EASY, opts) };
      if (!Number.isInteger(cohort.patients) || cohort.patients < 1) throw new Error(`--patients must be a positive integer, got ${cohort.patients}`);
      const progress = phaseProgress();
      const kept = ensureSyntheticCohort(cohort, { force: opts.force, hint: 'add --force to regenerate it, or --out to write the new one elsewhere', onCase: (d, t) => progress.update('generate', d, t) });
      progress.stop();
      if (kept.written) console.log(`Synthetic ${opts.difficulty} cohort written to ${out}`);
      else console.log(kept.note ? `Note: ${kept.note}` : `Synthetic cohort already in ${out}, generated with the same parameters (--force regenerates it)`);
      if (opts.ingest) await runIngest([path.join(out, 'dicom')], { dataset: hard ? 'demo-hard' : 'demo', labels: path.join(out, 'labels') });
    });

  addTrainCommands(program, plugins);
  addModelCommands(program);
  addServeCommand(program);
  addStudyCommands(program);
  addDbCommands(program);
  addUserCommands(program);
  return program;
}

// `segfusion runs list | head` closes stdout before the command has written everything: stop quietly,
// as Unix tools do, instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

try {
  // The plugin registries load TF.js: only `train` (which trains with it) pays for their help text.
  await buildProgram(process.argv[2] === 'train' ? await loadPluginHelp() : null).parseAsync(process.argv);
} catch (err) {
  if (USER_ERRORS.some((E) => err instanceof E) || (err instanceof Error && !(err instanceof TypeError) && !(err instanceof ReferenceError))) {
    console.error(`error: ${describeThrown(err)}`);
    logger.debug({ err }, 'command failed');
  } else {
    logger.error({ err }, 'unexpected failure');
  }
  process.exitCode = 1;
}
