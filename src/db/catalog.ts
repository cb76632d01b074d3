import { randomUUID } from 'node:crypto';
import { Prisma } from '../../generated/prisma/index.js';
import type { Db } from './client.js';
import type { SeriesPlan } from '../dicom/series.js';
import type { VolumeGeometry } from '../data/geometry.js';

export interface IssueRecord {
  severity: 'error' | 'warning';
  path: string;
  reason: string;
}

export async function upsertDataset(db: Db, name: string) {
  return db.dataset.upsert({ where: { name }, update: {}, create: { id: randomUUID(), name } });
}

export async function startIngestRun(db: Db, datasetId: string) {
  return db.ingestRun.create({ data: { id: randomUUID(), datasetId, status: 'running' } });
}

export async function finishIngestRun(db: Db, runId: string, datasetId: string, status: 'completed' | 'failed', summary: unknown, issues: IssueRecord[]) {
  await db.$transaction([
    db.ingestIssue.createMany({ data: issues.map((i) => ({ id: randomUUID(), datasetId, ingestRunId: runId, ...i })) }),
    db.ingestRun.update({ where: { id: runId }, data: { status, finishedAt: new Date(), summary: JSON.stringify(summary) } }),
  ]);
}

export async function knownSourceFiles(db: Db, datasetId: string) {
  const rows = await db.sourceFile.findMany({ where: { datasetId } });
  return new Map(rows.map((r) => [r.path, r]));
}

export interface SourceFileRecord {
  path: string;
  size: number;
  mtimeMs: number;
  status: 'dicom' | 'rejected';
  header: string | null;
  /** Why a rejected file was rejected, reported again on reruns. */
  reason: string | null;
}

/**
 * Replaces the records of these paths, 500 per transaction. The insert is one multi-row statement built
 * with Prisma.sql (placeholders follow the provider, so it stays portable to PostgreSQL): createMany
 * costs about 4x more here, which shows on imports of thousands of files.
 */
export async function saveSourceFiles(db: Db, datasetId: string, files: SourceFileRecord[]): Promise<void> {
  const chunk = 500;
  for (let i = 0; i < files.length; i += chunk) {
    const part = files.slice(i, i + chunk);
    await db.$transaction([
      db.sourceFile.deleteMany({ where: { datasetId, path: { in: part.map((f) => f.path) } } }),
      db.$executeRaw`INSERT INTO "SourceFile" ("id", "datasetId", "path", "size", "mtimeMs", "status", "header", "reason") VALUES ${Prisma.join(
        part.map((f) => Prisma.sql`(${randomUUID()}, ${datasetId}, ${f.path}, ${f.size}, ${f.mtimeMs}, ${f.status}, ${f.header}, ${f.reason})`),
      )}`,
    ]);
  }
}

export async function seriesFingerprints(db: Db, datasetId: string) {
  const rows = await db.series.findMany({ where: { datasetId }, select: { seriesInstanceUid: true, fingerprint: true, volumePath: true } });
  return new Map(rows.map((r) => [r.seriesInstanceUid, r]));
}

/** Stores one series with its patient, study and instances in a single transaction. */
export async function saveSeries(
  db: Db,
  datasetId: string,
  plan: SeriesPlan,
  volume: { fingerprint: string; volumePath: string; dtype: string; geometry: VolumeGeometry; min: number; max: number },
): Promise<string> {
  return db.$transaction(async (tx) => {
    const patient = await tx.patient.upsert({
      where: { datasetId_patientId: { datasetId, patientId: plan.patientId } },
      update: {},
      create: { id: randomUUID(), datasetId, patientId: plan.patientId },
    });
    const study = await tx.study.upsert({
      where: { patientRef_studyInstanceUid: { patientRef: patient.id, studyInstanceUid: plan.studyInstanceUid } },
      update: { studyDate: plan.studyDate, description: plan.studyDescription },
      create: { id: randomUUID(), patientRef: patient.id, studyInstanceUid: plan.studyInstanceUid, studyDate: plan.studyDate, description: plan.studyDescription },
    });
    const g = volume.geometry;
    const fields = {
      studyRef: study.id,
      modality: plan.modality,
      description: plan.seriesDescription,
      folder: plan.folder,
      fingerprint: volume.fingerprint,
      columns: g.size[0],
      rows: g.size[1],
      slices: g.size[2],
      spacingX: g.spacing[0],
      spacingY: g.spacing[1],
      spacingZ: g.spacing[2],
      geometry: JSON.stringify(g),
      dtype: volume.dtype,
      volumePath: volume.volumePath,
      warnings: JSON.stringify(plan.warnings),
      huMin: volume.min,
      huMax: volume.max,
    };
    const series = await tx.series.upsert({
      where: { datasetId_seriesInstanceUid: { datasetId, seriesInstanceUid: plan.seriesInstanceUid } },
      update: fields,
      create: { id: randomUUID(), datasetId, seriesInstanceUid: plan.seriesInstanceUid, ...fields },
    });
    await tx.instance.deleteMany({ where: { seriesRef: series.id } });
    const sliceIndex = new Map<string, number>();
    for (const s of plan.slices) if (!sliceIndex.has(s.sopInstanceUid)) sliceIndex.set(s.sopInstanceUid, s.index);
    // One multi-row insert per 500 instances (see saveSourceFiles for why not createMany).
    for (let i = 0; i < plan.instances.length; i += 500) {
      const rows = plan.instances
        .slice(i, i + 500)
        .map((inst) => Prisma.sql`(${randomUUID()}, ${series.id}, ${inst.header.sopInstanceUid}, ${inst.path}, ${sliceIndex.get(inst.header.sopInstanceUid) ?? -1}, ${inst.header.frames})`);
      await tx.$executeRaw`INSERT INTO "Instance" ("id", "seriesRef", "sopInstanceUid", "path", "sliceIndex", "frames") VALUES ${Prisma.join(rows)}`;
    }
    return series.id;
  });
}

export async function datasetSeries(db: Db, datasetId: string) {
  return db.series.findMany({
    where: { datasetId },
    include: { study: { include: { patient: true } }, label: true },
    orderBy: [{ study: { patient: { patientId: 'asc' } } }, { seriesInstanceUid: 'asc' }],
  });
}

export async function saveLabel(
  db: Db,
  seriesRef: string,
  label: { sourcePath: string; kind: 'nifti' | 'seg'; fingerprint: string; volumePath: string; voxelCounts: Record<string, number> },
): Promise<void> {
  const data = { ...label, voxelCounts: JSON.stringify(label.voxelCounts) };
  await db.labelMap.upsert({ where: { seriesRef }, update: data, create: { id: randomUUID(), seriesRef, ...data } });
}

export async function setClassMap(db: Db, datasetId: string, classMap: Record<string, string>): Promise<void> {
  await db.dataset.update({ where: { id: datasetId }, data: { classMap: JSON.stringify(classMap) } });
}

export async function listDatasets(db: Db) {
  return db.dataset.findMany({
    orderBy: { name: 'asc' },
    include: { _count: { select: { series: true, patients: true } } },
  });
}

export async function findDataset(db: Db, name: string) {
  return db.dataset.findUnique({ where: { name } });
}

export async function latestIngestRun(db: Db, datasetId: string) {
  return db.ingestRun.findFirst({ where: { datasetId }, orderBy: { startedAt: 'desc' }, include: { issues: true } });
}

/** SOP Instance UID -> slice index of a series' volume (for mapping SEG frames onto it). */
export async function seriesSliceIndex(db: Db, seriesRef: string): Promise<Map<string, number>> {
  const rows = await db.instance.findMany({ where: { seriesRef }, select: { sopInstanceUid: true, sliceIndex: true } });
  return new Map(rows.filter((r) => r.sliceIndex >= 0).map((r) => [r.sopInstanceUid, r.sliceIndex]));
}
