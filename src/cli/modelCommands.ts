import type { Command } from 'commander';
import { resolveRunId } from '../db/idPrefix.js';
import { recordAudit } from '../db/users.js';
import { cliActor } from '../users/cliActor.js';
import { loadConfig } from '../config.js';
import { phaseProgress } from './progress.js';
import { table } from './tables.js';
import { withDb } from './withDb.js';

export function addModelCommands(program: Command): void {
  program
    .command('export')
    .description("export a run's best model: TF.js layers model, segfusion.json and a model card")
    .argument('<run>', 'run id, or 4 or more of its first characters (see: segfusion runs list)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--zip', 'also write DIR.zip with the same files')
    .option('--json', 'print JSON')
    .action(async (typed: string, o: { out: string; zip?: boolean; json?: boolean }) => {
      const { exportRun } = await import('../export/exportRun.js');
      const { runId, result } = await withDb(async (db) => {
        const runId = await resolveRunId(db, typed);
        const r = await exportRun(db, runId, { out: o.out, zip: o.zip, runsDir: loadConfig().runsDir });
        await recordAudit(db, cliActor(), 'run.export', runId, { out: r.out });
        return { runId, result: r };
      });
      if (o.json) console.log(JSON.stringify({ out: result.out, zip: result.zip, files: result.files, runId }));
      else console.log(`Exported run ${runId} to ${result.out}${result.zip ? ` and ${result.zip}` : ''}: ${result.files.join(', ')}`);
    });

  program
    .command('predict')
    .description('segment a DICOM series with an exported model')
    .requiredOption('--model <dir>', 'exported model folder (segfusion export)')
    .requiredOption('--input <dir>', 'folder holding the DICOM series, or a DICOMweb server (dicomweb://HOST/PATH, with --study)')
    .requiredOption('--out <file>', 'label map to write (.nii.gz or .nii)')
    .option('--seg <file>', 'also write a DICOM SEG referencing the source images')
    .option('--series <uid>', 'SeriesInstanceUID, when the folder or study holds several series')
    .option('--study <uid>', 'with a DICOMweb --input: the StudyInstanceUID to pull')
    .option('--push <server>', 'store the DICOM SEG on a PACS: DICOMweb (STOW-RS) dicomweb://pacs:8042/dicom-web, or DIMSE (C-STORE) dicom://AE@pacs:4242')
    .option('--json', 'print JSON')
    .action(async (o: { model: string; input: string; out: string; seg?: string; series?: string; study?: string; push?: string; json?: boolean }) => {
      const { predictWithPacs } = await import('../predict/predictWithPacs.js');
      const progress = phaseProgress();
      const config = loadConfig();
      const r = await predictWithPacs({
        modelDir: o.model,
        input: o.input,
        out: o.out,
        seg: o.seg,
        seriesInstanceUid: o.series,
        study: o.study,
        push: o.push,
        auth: config.pacs.auth,
        mirrorDir: config.pacs.mirrorDir,
        callingAe: config.pacs.callingAe,
        backend: config.backend,
        onProgress: progress.update,
      }).finally(progress.stop);
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      for (const s of r.skipped) console.error(`skipped ${s.path}: ${s.reason}`);
      console.log(
        table(
          ['class', 'voxels', 'volume (ml)'],
          Object.entries(r.classes).map(([name, c]) => [name, c.voxels, c.ml]),
        ),
      );
      console.log(`Label map: ${r.out}${r.seg ? `\nDICOM SEG: ${r.seg}` : ''}${r.pushed ? `\nSEG stored on ${r.pushed}` : ''}`);
    });
}
