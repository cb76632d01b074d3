import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from './client.js';
import { runBatch, valuesPlaceholders, type SqlStatement } from './sqlBatch.js';
import { InstanceHeaderSchema, type InstanceHeader } from '../dicom/header.js';
import type { SeriesPlan } from '../dicom/series.js';
import { VolumeGeometrySchema, type VolumeGeometry } from '../data/geometry.js';
import { ClassSpecsSchema, type ClassSpecs } from '../data/classSpecs.js';

export interface IssueRecord {
  severity: 'error' | 'warning';
  path: string;
  reason: string;
}

export async function upsertDataset(db: Db, name: string) {
  return db.dataset.upsert({ where: { name }, update: {}, create: { id: randomUUID(), name } });
}

export async function startIngestRun(db: Db, datasetId: string) {
  return db.ingestRun.create({ data: { id: randomUUID(), datasetId, status: 'running', host: os.hostname(), pid: process.pid } });
}

/** Imports still marked running, with the process that runs them (null for rows from before 0.2). */
export async function runningIngestRuns(db: Db) {
  return db.ingestRun.findMany({ where: { status: 'running' }, select: { id: true, host: true, pid: true, startedAt: true } });
}

export async function markIngestRunsInterrupted(db: Db, ids: string[]) {
  if (!ids.length) return;
  await db.ingestRun.updateMany({
    where: { id: { in: ids }, status: 'running' },
    data: { status: 'interrupted', finishedAt: new Date(), summary: JSON.stringify({ error: 'the import process ended before it finished (killed or crashed); run ingest again to finish it' }) },
  });
}

export async function finishIngestRun(db: Db, runId: string, datasetId: string, status: 'completed' | 'failed', summary: unknown, issues: IssueRecord[]) {
  await db.$transaction([
    db.ingestIssue.createMany({ data: issues.map((i) => ({ id: randomUUID(), datasetId, ingestRunId: runId, ...i })) }),
    db.ingestRun.update({ where: { id: runId }, data: { status, finishedAt: new Date(), summary: JSON.stringify(summary) } }),
  ]);
}

/** A file recorded by an earlier import, its header parsed (null if it was rejected or recorded by an older version). */
export interface KnownSourceFile {
  path: string;
  size: number;
  mtimeMs: number;
  status: string;
  header: InstanceHeader | null;
  reason: string | null;
}

export async function knownSourceFiles(db: Db, datasetId: string): Promise<Map<string, KnownSourceFile>> {
  const rows = await db.sourceFile.findMany({ where: { datasetId } });
  return new Map(
    rows.map((r) => {
      const parsed = r.status === 'dicom' && r.header ? InstanceHeaderSchema.safeParse(JSON.parse(r.header)) : null;
      return [r.path, { path: r.path, size: r.size, mtimeMs: r.mtimeMs, status: r.status, reason: r.reason, header: parsed?.success ? parsed.data : null }];
    }),
  );
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
 * Records these files (replacing earlier records of the same paths) in one transaction, as multi-row
 * upserts of 500 rows: createMany costs about 4x more, and runBatch says why not through Prisma.
 */
export async function saveSourceFiles(db: Db, datasetId: string, files: SourceFileRecord[]): Promise<void> {
  const statements: SqlStatement[] = [];
  for (let i = 0; i < files.length; i += 500) {
    const part = files.slice(i, i + 500);
    statements.push({
      sql: `INSERT INTO "SourceFile" ("id", "datasetId", "path", "size", "mtimeMs", "status", "header", "reason") VALUES ${valuesPlaceholders(part.length, 8)}
        ON CONFLICT ("datasetId", "path") DO UPDATE SET "size" = excluded."size", "mtimeMs" = excluded."mtimeMs", "status" = excluded."status",
        "header" = excluded."header", "reason" = excluded."reason"`,
      params: part.flatMap((f) => [randomUUID(), datasetId, f.path, f.size, f.mtimeMs, f.status, f.header, f.reason]),
    });
  }
  await runBatch(db, statements);
}

export async function seriesFingerprints(db: Db, datasetId: string) {
  const rows = await db.series.findMany({ where: { datasetId }, select: { seriesInstanceUid: true, fingerprint: true, volumePath: true } });
  return new Map(rows.map((r) => [r.seriesInstanceUid, r]));
}

/** Prisma's text form of a DateTime in SQLite, so that rows written by raw SQL read back like its own. */
function sqlDateTime(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/**
 * Stores one series with its patient, study and instances in a single transaction, as plain SQL upserts
 * (INSERT … ON CONFLICT, valid in SQLite and PostgreSQL) that find their parents by their unique keys:
 * Prisma's typed upserts cost an interactive transaction and a query-compiler pass each, and the
 * instance rows are many (runBatch).
 */
export async function saveSeries(db: Db, datasetId: string, plan: SeriesPlan, volume: { fingerprint: string; volumePath: string; dtype: string; geometry: VolumeGeometry; min: number; max: number }): Promise<void> {
  const g = volume.geometry;
  const patientRef = { sql: '(SELECT "id" FROM "Patient" WHERE "datasetId" = ? AND "patientId" = ?)', params: [datasetId, plan.patientId] };
  const studyRef = { sql: `(SELECT "id" FROM "Study" WHERE "patientRef" = ${patientRef.sql} AND "studyInstanceUid" = ?)`, params: [...patientRef.params, plan.studyInstanceUid] };
  const seriesKey = [datasetId, plan.seriesInstanceUid];
  const sliceIndex = new Map<string, number>();
  for (const sl of plan.slices) if (!sliceIndex.has(sl.sopInstanceUid)) sliceIndex.set(sl.sopInstanceUid, sl.index);
  const seriesColumns = ['modality', 'description', 'folder', 'fingerprint', 'columns', 'rows', 'slices', 'spacingX', 'spacingY', 'spacingZ', 'geometry', 'dtype', 'volumePath', 'warnings', 'huMin', 'huMax', 'updatedAt'];
  const seriesValues = [
    plan.modality,
    plan.seriesDescription,
    plan.folder,
    volume.fingerprint,
    g.size[0],
    g.size[1],
    g.size[2],
    g.spacing[0],
    g.spacing[1],
    g.spacing[2],
    JSON.stringify(g),
    volume.dtype,
    volume.volumePath,
    JSON.stringify(plan.warnings),
    volume.min,
    volume.max,
    sqlDateTime(new Date()),
  ];
  const statements: SqlStatement[] = [
    { sql: 'INSERT INTO "Patient" ("id", "datasetId", "patientId") VALUES (?, ?, ?) ON CONFLICT ("datasetId", "patientId") DO NOTHING', params: [randomUUID(), datasetId, plan.patientId] },
    {
      sql: `INSERT INTO "Study" ("id", "patientRef", "studyInstanceUid", "studyDate", "description") VALUES (?, ${patientRef.sql}, ?, ?, ?)
        ON CONFLICT ("patientRef", "studyInstanceUid") DO UPDATE SET "studyDate" = excluded."studyDate", "description" = excluded."description"`,
      params: [randomUUID(), ...patientRef.params, plan.studyInstanceUid, plan.studyDate, plan.studyDescription],
    },
    {
      sql: `INSERT INTO "Series" ("id", "datasetId", "seriesInstanceUid", "studyRef", ${seriesColumns.map((c) => `"${c}"`).join(', ')})
        VALUES (?, ?, ?, ${studyRef.sql}, ${seriesColumns.map(() => '?').join(', ')})
        ON CONFLICT ("datasetId", "seriesInstanceUid") DO UPDATE SET ${['studyRef', ...seriesColumns].map((c) => `"${c}" = excluded."${c}"`).join(', ')}`,
      params: [randomUUID(), ...seriesKey, ...studyRef.params, ...seriesValues],
    },
    { sql: 'DELETE FROM "Instance" WHERE "seriesRef" = (SELECT "id" FROM "Series" WHERE "datasetId" = ? AND "seriesInstanceUid" = ?)', params: seriesKey },
  ];
  for (let i = 0; i < plan.instances.length; i += 500) {
    const part = plan.instances.slice(i, i + 500);
    statements.push({
      sql: `INSERT INTO "Instance" ("id", "sopInstanceUid", "path", "sliceIndex", "frames", "seriesRef")
        SELECT v.column1, v.column2, v.column3, CAST(v.column4 AS INTEGER), CAST(v.column5 AS INTEGER), s."id" FROM (VALUES ${valuesPlaceholders(part.length, 5)}) AS v, "Series" AS s
        WHERE s."datasetId" = ? AND s."seriesInstanceUid" = ?`,
      params: [...part.flatMap((inst) => [randomUUID(), inst.header.sopInstanceUid, inst.path, sliceIndex.get(inst.header.sopInstanceUid) ?? -1, inst.header.frames]), ...seriesKey],
    });
  }
  await runBatch(db, statements);
}

/** A dataset's series with patient, study and label; geometry, warnings and label voxel counts parsed. */
export async function datasetSeries(db: Db, datasetId: string) {
  const rows = await db.series.findMany({
    where: { datasetId },
    include: { study: { include: { patient: true } }, label: true },
    orderBy: [{ study: { patient: { patientId: 'asc' } } }, { seriesInstanceUid: 'asc' }],
  });
  return rows.map((s) => ({
    ...s,
    geometry: VolumeGeometrySchema.parse(JSON.parse(s.geometry)),
    warnings: JSON.parse(s.warnings) as string[],
    label: s.label && { ...s.label, voxelCounts: JSON.parse(s.label.voxelCounts) as Record<string, number> },
  }));
}

export async function saveLabel(db: Db, seriesRef: string, label: { sourcePath: string; kind: 'nifti' | 'seg' | 'rtstruct'; fingerprint: string; volumePath: string; voxelCounts: Record<string, number> }): Promise<void> {
  const data = { ...label, voxelCounts: JSON.stringify(label.voxelCounts) };
  await db.labelMap.upsert({ where: { seriesRef }, update: data, create: { id: randomUUID(), seriesRef, ...data } });
}

export async function setClassMap(db: Db, datasetId: string, classMap: Record<string, string>, specs: ClassSpecs | null): Promise<void> {
  await db.dataset.update({ where: { id: datasetId }, data: { classMap: JSON.stringify(classMap), classSpecs: specs ? JSON.stringify(specs) : null } });
}

/** The class specs labels.json gave at the dataset's last ingest (null: names only, or no such dataset). */
export async function datasetClassSpecs(db: Db, datasetName: string): Promise<ClassSpecs | null> {
  const row = await db.dataset.findUnique({ where: { name: datasetName }, select: { classSpecs: true } });
  return row?.classSpecs ? ClassSpecsSchema.parse(JSON.parse(row.classSpecs)) : null;
}

export async function listDatasets(db: Db) {
  return db.dataset.findMany({
    orderBy: { name: 'asc' },
    include: { _count: { select: { series: true, patients: true } } },
  });
}

/** The series `seriesUid` of run `runId`'s dataset with its instances and patient, geometry parsed (null: not in that dataset). */
export async function runSeries(db: Db, runId: string, seriesUid: string) {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { datasetId: true } });
  const series = await db.series.findFirst({ where: { seriesInstanceUid: seriesUid, datasetId: run.datasetId }, include: { instances: true, study: { include: { patient: true } } } });
  return series && { ...series, geometry: VolumeGeometrySchema.parse(JSON.parse(series.geometry)) };
}

/**
 * Where a case of a run lives, all on the series' own grid: its image, ground truth and the run's
 * prediction (null: not stored), with the patient and modality; null when the run does not exist,
 * `series` null when the series is not in the run's dataset. Three indexed lookups: the viewer asks for
 * every slice it shows, so nothing heavier (instances, geometry) is read.
 */
export async function runCaseFiles(db: Db, runId: string, seriesUid: string) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { datasetId: true, dataset: { select: { name: true } } } });
  if (!run) return null;
  const series = await db.series.findFirst({ where: { seriesInstanceUid: seriesUid, datasetId: run.datasetId }, include: { label: true, study: { include: { patient: true } } } });
  const prediction = series && (await db.artifact.findUnique({ where: { runId_kind_name: { runId, kind: 'prediction', name: seriesUid } }, select: { path: true } }));
  return {
    dataset: run.dataset.name,
    series: series && { modality: series.modality, patientId: series.study.patient.patientId, imagePath: series.volumePath, labelPath: series.label?.volumePath ?? null, predictionPath: prediction?.path ?? null },
  };
}

/** A dataset by name, its class map parsed ({} before a label was ingested). */
export async function findDataset(db: Db, name: string) {
  const ds = await db.dataset.findUnique({ where: { name } });
  return ds && { ...ds, classMap: ds.classMap ? (JSON.parse(ds.classMap) as Record<string, string>) : {} };
}

export async function latestIngestRun(db: Db, datasetId: string) {
  return db.ingestRun.findFirst({ where: { datasetId }, orderBy: { startedAt: 'desc' }, include: { issues: true } });
}

/** SOP Instance UID -> slice index of a series' volume (for mapping SEG frames onto it). */
export async function seriesSliceIndex(db: Db, seriesRef: string): Promise<Map<string, number>> {
  const rows = await db.instance.findMany({ where: { seriesRef }, select: { sopInstanceUid: true, sliceIndex: true } });
  return new Map(rows.filter((r) => r.sliceIndex >= 0).map((r) => [r.sopInstanceUid, r.sliceIndex]));
}

/** Every PatientID of the catalogue (for the API's redaction), each once. */
export async function allPatientIds(db: Db): Promise<string[]> {
  const rows = await db.patient.findMany({ select: { patientId: true }, distinct: ['patientId'] });
  return rows.map((r) => r.patientId);
}
