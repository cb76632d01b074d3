import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { listStudies } from '../../db/studies.js';
import { createStudy, parseArms } from '../../studies/study.js';
import { studyHtml } from '../../studies/studyHtml.js';
import { studyReport } from '../../studies/studyReport.js';

/** POST /api/studies: the same as `segfusion study create`. */
export const CreateStudySchema = z.strictObject({
  name: z.string().min(1).max(200),
  dataset: z.string().min(1),
  /** Fusion strategies, or NAME=JSON run-config overrides, as on the command line. */
  arms: z.array(z.string().min(1).max(2000)).min(1).max(12),
  seeds: z.number().int().min(1).max(20).default(3),
  baseConfig: z.record(z.string(), z.unknown()).default({}),
  reference: z.string().min(1).optional(),
});

export async function createStudyFromRequest(db: Db, body: z.infer<typeof CreateStudySchema>) {
  const { study, runs } = await createStudy(db, { name: body.name, dataset: body.dataset, baseConfig: body.baseConfig, arms: parseArms(body.arms, body.baseConfig), seeds: body.seeds, reference: body.reference });
  return { id: study.id, runs };
}

export const studiesList = async (db: Db) => ({
  items: (await listStudies(db)).map((s) => ({ id: s.id, name: s.name, dataset: s.dataset, arms: s.arms.map((a) => a.name), seeds: s.seeds, referenceArm: s.referenceArm, createdAt: s.createdAt.toISOString() })),
});
export const studyJson = studyReport;
export const studyHtmlReport = async (db: Db, id: string) => studyHtml(await studyReport(db, id));
