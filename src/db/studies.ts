import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StudyEndpointSchema, type StudyEndpoint } from '../studies/studyEndpoint.js';
import { OperatingPointSchema } from '../train/operatingPoint.js';
import type { Db } from './client.js';

/** One arm of a study: a name and the run-config overrides it applies to the base config. */
export const StudyArmSchema = z.strictObject({ name: z.string().min(1).max(60), overrides: z.record(z.string(), z.unknown()) });
export type StudyArm = z.infer<typeof StudyArmSchema>;

export interface StudyRecord {
  id: string;
  name: string;
  datasetId: string;
  dataset: string;
  baseConfig: Record<string, unknown>;
  arms: StudyArm[];
  seeds: number;
  referenceArm: string;
  createdAt: Date;
  /** Who created it (as Run.owner), null for studies from before accounts. */
  owner: string | null;
  /** The class and metric named at creation as the study's question, null when none was. */
  primaryEndpoint: StudyEndpoint | null;
}

const parse = (r: {
  id: string;
  name: string;
  datasetId: string;
  dataset: { name: string };
  baseConfig: string;
  arms: string;
  seeds: number;
  referenceArm: string;
  createdAt: Date;
  owner: string | null;
  primaryEndpoint: string | null;
}): StudyRecord => ({
  ...r,
  dataset: r.dataset.name,
  baseConfig: JSON.parse(r.baseConfig) as Record<string, unknown>,
  arms: z.array(StudyArmSchema).parse(JSON.parse(r.arms)),
  primaryEndpoint: r.primaryEndpoint === null ? null : StudyEndpointSchema.parse(JSON.parse(r.primaryEndpoint)),
});

export async function createStudyRecord(db: Db, s: { name: string; datasetId: string; baseConfig: unknown; arms: StudyArm[]; seeds: number; referenceArm: string; owner: string; primaryEndpoint: StudyEndpoint | null }) {
  return db.runStudy.create({
    data: {
      id: randomUUID(),
      name: s.name,
      datasetId: s.datasetId,
      baseConfig: JSON.stringify(s.baseConfig),
      arms: JSON.stringify(s.arms),
      seeds: s.seeds,
      referenceArm: s.referenceArm,
      owner: s.owner,
      primaryEndpoint: s.primaryEndpoint && JSON.stringify(s.primaryEndpoint),
    },
  });
}

export async function findStudy(db: Db, id: string): Promise<StudyRecord | null> {
  const r = await db.runStudy.findUnique({ where: { id }, include: { dataset: { select: { name: true } } } });
  return r ? parse(r) : null;
}

export async function listStudies(db: Db): Promise<StudyRecord[]> {
  return (await db.runStudy.findMany({ orderBy: { createdAt: 'desc' }, include: { dataset: { select: { name: true } } } })).map(parse);
}

/** Per study id, how many of its runs are in each status, e.g. {completed: 4, queued: 2}. */
export async function studyStatusCounts(db: Db): Promise<Map<string, Record<string, number>>> {
  const rows = await db.run.groupBy({ by: ['studyId', 'status'], where: { studyId: { not: null } }, _count: { _all: true } });
  const counts = new Map<string, Record<string, number>>();
  for (const r of rows) if (r.studyId) counts.set(r.studyId, { ...counts.get(r.studyId), [r.status]: r._count._all });
  return counts;
}

export async function attachRunToStudy(db: Db, runId: string, studyId: string, arm: string) {
  await db.run.update({ where: { id: runId }, data: { studyId, studyArm: arm } });
}

/** The study's runs with what the report needs: arm, seed, status, duration, per-case test metrics and the operating point (its test FROC). */
export async function studyRuns(db: Db, studyId: string) {
  const runs = await db.run.findMany({
    where: { studyId },
    orderBy: [{ studyArm: 'asc' }, { seed: 'asc' }],
    select: { id: true, studyArm: true, seed: true, status: true, durationMs: true, operatingPoint: true, caseMetrics: { where: { split: 'test' } }, epochs: { select: { epoch: true, weights: true }, orderBy: { epoch: 'asc' } } },
  });
  return runs.map((r) => ({
    ...r,
    operatingPoint: r.operatingPoint ? OperatingPointSchema.parse(JSON.parse(r.operatingPoint)) : null,
    epochs: r.epochs.map((e) => ({ epoch: e.epoch, weights: JSON.parse(e.weights) as Record<string, number> })),
  }));
}
