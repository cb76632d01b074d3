import fs from 'node:fs';
import type { Command } from 'commander';
import { configFile, endpointFlag, int, withPresetFlag } from './options.js';
import { PRESET_CHOICES } from '../train/presetSuggestion.js';
import { table } from './tables.js';
import { cliActor } from '../users/cliActor.js';
import { withDb } from './withDb.js';
import { resolveStudyId } from '../db/idPrefix.js';
import { describeStatusCounts } from '../studies/statusCounts.js';
import type { StudyEndpoint } from '../studies/studyEndpoint.js';
import { STUDY_METRICS } from '../studies/studyMetrics.js';

const collect = (v: string, all: string[]) => [...all, v];

export function addStudyCommands(program: Command): void {
  const study = program.command('study').description('comparison studies: arms x seeds on one dataset, with paired statistics');
  study
    .command('create')
    .description('queue one training run per arm and seed (run them with `segfusion worker`, or the dashboard server)')
    .requiredOption('-d, --dataset <name>', 'dataset')
    .option('--arms <list>', 'comma-separated fusion strategies, each an arm with the same losses (e.g. static,batchAdaptive,gradnorm)')
    .option('--arm <name=json>', 'an arm of any run-config overrides, e.g. tversky=\'{"losses":[{"name":"tversky"}]}\' (repeatable)', collect, [])
    .option('--seeds <n>', 'seeds per arm (1..20)', int('--seeds'), 3)
    .option('-c, --config <file>', 'base run config JSON every arm starts from')
    .option('--preset <name>', `run-config preset under --config: ${PRESET_CHOICES.join(', ')} (default auto: as the dataset's labels call for; segfusion train --help)`)
    .option('--name <name>', 'study name')
    .option('--reference <arm>', 'arm the others are compared with (default static, else the first)')
    .option(
      '--primary <class:metric>',
      `the study's question, named before any result: a class and one of ${STUDY_METRICS.join(', ')} (e.g. lesion:sensitivity); tested in a Holm family of its own, the other comparisons in a secondary one`,
      endpointFlag,
    )
    .option('--priority <n>', 'queue priority of its runs (-100..100; higher first)', int('--priority'))
    .option('--requires <tags>', 'worker tags its runs need, comma-separated (e.g. gpu)')
    .option('--json', 'print JSON')
    .action(async (o: { dataset: string; arms?: string; arm: string[]; seeds: number; config?: string; preset?: string; name?: string; reference?: string; primary?: StudyEndpoint; priority?: number; requires?: string; json?: boolean }) => {
      const { createStudy, parseArms, StudyError } = await import('../studies/study.js');
      const specs = [
        ...(o.arms
          ? o.arms
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : []),
        ...o.arm,
      ];
      if (!specs.length) throw new StudyError('give the arms with --arms and/or --arm');
      const { study, runs } = await withDb(async (db) => {
        const base = await withPresetFlag(db, o.preset, o.dataset, configFile(o.config));
        return createStudy(db, {
          name: o.name ?? `${o.dataset} study`,
          dataset: o.dataset,
          baseConfig: base,
          arms: parseArms(specs, base),
          seeds: o.seeds,
          reference: o.reference,
          primaryEndpoint: o.primary,
          owner: cliActor(),
          priority: o.priority,
          requires: o.requires?.split(','),
        });
      });
      if (o.json) console.log(JSON.stringify({ studyId: study.id, runs }));
      else console.log(`Study ${study.id}: ${runs.length} runs queued (${specs.length} arms x ${o.seeds} seeds); run them with: segfusion worker --once`);
    });
  study
    .command('list')
    .description('studies, newest first, with their runs counted by status')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { studiesList } = await import('../server/services/studiesService.js');
      const { items } = await withDb(studiesList);
      if (o.json) return console.log(JSON.stringify(items));
      if (!items.length) return console.log('No studies yet (segfusion study create).');
      console.log(
        table(
          ['study', 'name', 'dataset', 'arms', 'seeds', 'runs', 'created'],
          items.map((s) => [s.id.slice(0, 8), s.name, s.dataset, s.arms.join(', '), String(s.seeds), describeStatusCounts(s.runs) || 'none', s.createdAt.slice(0, 16).replace('T', ' ')]),
        ),
      );
    });
  study
    .command('show')
    .argument('<study>', 'study id, or 4 or more of its first characters')
    .option('--json', 'print JSON')
    .option('--html <file>', 'also write the self-contained HTML report')
    .action(async (id: string, o: { json?: boolean; html?: string }) => {
      const [{ studyReport }, { studyHtml }, { studyCaseFigures }] = await Promise.all([import('../studies/studyReport.js'), import('../studies/studyHtml.js'), import('../server/services/studiesService.js')]);
      const r = await withDb(async (db) => {
        const report = await studyReport(db, await resolveStudyId(db, id));
        if (o.html) fs.writeFileSync(o.html, studyHtml(report, await studyCaseFigures(db, report)));
        return report;
      });
      if (o.json) return console.log(JSON.stringify(r));
      const n = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '-' : v.toFixed(d));
      console.log(`Study ${r.study.name} (${r.study.id}) on ${r.study.dataset}: ${describeStatusCounts(r.status)}`);
      console.log(
        table(
          ['arm', 'class', 'Dice', 'sensitivity', 'precision', 'lesions found', 'runs'],
          r.arms.flatMap((a) =>
            Object.entries(a.metrics).map(([cls, m]) => [
              a.arm,
              cls,
              m.dice ? `${n(m.dice.mean)} [${n(m.dice.ci[0])}, ${n(m.dice.ci[1])}]` : '-',
              m.sensitivity ? `${n(m.sensitivity.mean)} [${n(m.sensitivity.ci[0])}, ${n(m.sensitivity.ci[1])}]` : '-',
              n(m.precision?.mean),
              `${a.lesions[cls]?.lesionsFound ?? 0}/${a.lesions[cls]?.lesions ?? 0}`,
              `${a.completed}/${a.runs}`,
            ]),
          ),
        ),
      );
      const frocRows = r.arms.flatMap((a) =>
        Object.entries(a.froc).map(([cls, f]) => [a.arm, cls, ...f.rates.map((q) => n(q.sensitivity)), f.cpmCi ? `${n(f.cpm)} [${n(f.cpmCi[0])}, ${n(f.cpmCi[1])}]` : n(f.cpm), `${f.lesions} in ${f.cases} (${f.runs} runs)`]),
      );
      const rates = r.arms.flatMap((a) => Object.values(a.froc))[0]?.rates.map((q) => String(q.falsePositivesPerCase)) ?? [];
      if (frocRows.length) console.log(`Lesions found at false positives per case over every threshold (test FROC, pooled over seeds):\n${table(['arm', 'class', ...rates, 'CPM', 'lesions in cases'], frocRows)}`);
      console.log(`Verdicts (${r.correction}):`);
      for (const c of r.comparisons) console.log(`  ${c.verdict}`);
      if (o.html) console.log(`HTML report: ${o.html}`);
    });
}
