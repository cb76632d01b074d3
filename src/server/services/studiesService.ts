import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { Principal } from '../../users/roles.js';
import { listStudies, studyRuns, studyStatusCounts } from '../../db/studies.js';
import { createStudy, parseArms } from '../../studies/study.js';
import { StudyEndpointSchema } from '../../studies/studyEndpoint.js';
import { presetUnder } from '../../train/presets.js';
import { PRESET_CHOICES, withResolvedPreset } from '../../train/presetSuggestion.js';
import { studyHtml, type StudyCaseFigure } from '../../studies/studyHtml.js';
import { studyReport, type StudyReport } from '../../studies/studyReport.js';
import { caseClassSlices, caseSlicePngImage, classPicture } from './casesService.js';

/** POST /api/studies: the same as `segfusion study create`. */
export const CreateStudySchema = z.preprocess(
  presetUnder('baseConfig'),
  z.strictObject({
    name: z.string().min(1).max(200),
    dataset: z.string().min(1),
    /** Fusion strategies, or NAME=JSON run-config overrides, as on the command line. */
    arms: z.array(z.string().min(1).max(2000)).min(1).max(12),
    seeds: z.number().int().min(1).max(20).default(3),
    baseConfig: z.record(z.string(), z.unknown()).default({}),
    reference: z.string().min(1).optional(),
    /** The study's question, named before any result ({className, metric}): tested in a Holm family of its own (studies/studyEndpoint.ts). */
    primaryEndpoint: StudyEndpointSchema.optional(),
    /** A run-config preset (src/train/presets.ts) that `baseConfig` is laid over; "auto" (when left out): as the dataset's labels call for (train/presetSuggestion.ts). */
    preset: z.enum(PRESET_CHOICES).optional(),
  }),
);

/** POST /api/studies: the preset resolved for the dataset, then the request validated and the arms x seeds queued. */
export async function createStudyFromRequest(db: Db, raw: unknown, actor: Principal) {
  const { body: resolved, preset } = await withResolvedPreset(db, raw, (b) => b.dataset);
  const body = CreateStudySchema.parse(resolved);
  const { study, runs } = await createStudy(db, {
    name: body.name,
    dataset: body.dataset,
    baseConfig: body.baseConfig,
    arms: parseArms(body.arms, body.baseConfig),
    seeds: body.seeds,
    reference: body.reference,
    primaryEndpoint: body.primaryEndpoint,
    owner: actor.name,
  });
  return { id: study.id, runs, preset };
}

/** GET /api/studies and `segfusion study list`: newest first, each with its runs counted by status. */
export async function studiesList(db: Db) {
  const [studies, counts] = await Promise.all([listStudies(db), studyStatusCounts(db)]);
  return {
    items: studies.map((s) => ({
      id: s.id,
      name: s.name,
      dataset: s.dataset,
      arms: s.arms.map((a) => a.name),
      seeds: s.seeds,
      referenceArm: s.referenceArm,
      primaryEndpoint: s.primaryEndpoint,
      owner: s.owner,
      createdAt: s.createdAt.toISOString(),
      runs: counts.get(s.id) ?? {},
    })),
  };
}
export const studyJson = studyReport;

/**
 * What fusion changes, seen on one case: for each foreground class, the test case on which the
 * reference arm does worst (lowest Dice) in the first seed every arm has completed, at the axial slice
 * where the class is largest in the ground truth, rendered (that class alone, agreement overlay: TP
 * yellow, FP red, FN blue) under every arm's run of that seed.
 */
export async function studyCaseFigures(db: Db, r: StudyReport): Promise<StudyCaseFigure[]> {
  const runs = (await studyRuns(db, r.study.id)).filter((run) => run.status === 'completed');
  const arms = r.study.arms.map((a) => a.name);
  const seed = [...new Set(runs.map((run) => run.seed))].sort((a, b) => a - b).find((sd) => arms.every((arm) => runs.some((run) => run.studyArm === arm && run.seed === sd)));
  if (seed === undefined) return [];
  const ofArm = (arm: string) => runs.find((run) => run.studyArm === arm && run.seed === seed)!;
  const reference = ofArm(r.study.referenceArm);
  const classes = [...new Map(reference.caseMetrics.filter((m) => m.classIndex > 0).map((m) => [m.classIndex, m.className])).entries()].sort((a, b) => a[0] - b[0]);
  const figures: StudyCaseFigure[] = [];
  for (const [classIndex, className] of classes) {
    const worst = reference.caseMetrics.filter((m) => m.classIndex === classIndex).sort((a, b) => a.dice - b.dice)[0];
    const index = await caseClassSlices(db, reference.id, worst.seriesInstanceUid);
    const slices = index.truth[String(classIndex)] ?? [];
    const slice = slices[Math.floor(slices.length / 2)] ?? 0;
    const images = await Promise.all(
      arms.map(async (arm) => {
        const run = ofArm(arm);
        const dice = run.caseMetrics.find((m) => m.seriesInstanceUid === worst.seriesInstanceUid && m.classIndex === classIndex)?.dice ?? null;
        const png = await caseSlicePngImage(db, run.id, worst.seriesInstanceUid, slice, classPicture(classIndex, 2));
        return { arm, dice, png };
      }),
    );
    figures.push({ className, patientId: worst.patientId, seed, slice, images });
  }
  return figures;
}

/** The study's self-contained HTML report, with the case figures. */
export async function studyHtmlReport(db: Db, id: string): Promise<string> {
  const r = await studyReport(db, id);
  return studyHtml(r, await studyCaseFigures(db, r));
}
