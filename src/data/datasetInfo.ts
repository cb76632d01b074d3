import type { Db } from '../db/client.js';
import { datasetSeries, findDataset, latestIngestRun, listDatasets } from '../db/catalog.js';
import type { VolumeGeometry } from './geometry.js';

export class DatasetNotFoundError extends Error {
  override name = 'DatasetNotFoundError';
  constructor(readonly dataset: string) {
    super(`dataset "${dataset}" does not exist (see: segfusion dataset list)`);
  }
}

export interface SeriesInfo {
  seriesInstanceUid: string;
  patientId: string;
  studyInstanceUid: string;
  modality: string;
  description: string | null;
  folder: string;
  geometry: VolumeGeometry;
  dtype: string;
  volumePath: string;
  intensityRange: [number, number];
  warnings: string[];
  label: null | { sourcePath: string; kind: string; volumePath: string; voxelCounts: Record<string, number> };
}

export interface DatasetInfo {
  name: string;
  id: string;
  createdAt: string;
  patients: number;
  classMap: Record<string, string>;
  /** Voxels per class over all labelled series. */
  classVoxels: Record<string, number>;
  series: SeriesInfo[];
  lastIngest: null | { startedAt: string; status: string; errors: { path: string; reason: string }[]; warnings: { path: string; reason: string }[] };
}

export async function listDatasetSummaries(db: Db) {
  const rows = await listDatasets(db);
  return rows.map((d) => ({ name: d.name, patients: d._count.patients, series: d._count.series, createdAt: d.createdAt.toISOString() }));
}

export async function describeDataset(db: Db, name: string): Promise<DatasetInfo> {
  const ds = await findDataset(db, name);
  if (!ds) throw new DatasetNotFoundError(name);
  const rows = await datasetSeries(db, ds.id);
  const run = await latestIngestRun(db, ds.id);
  const classVoxels: Record<string, number> = {};
  const series: SeriesInfo[] = rows.map((s) => {
    for (const [k, v] of Object.entries(s.label?.voxelCounts ?? {})) classVoxels[k] = (classVoxels[k] ?? 0) + v;
    return {
      seriesInstanceUid: s.seriesInstanceUid,
      patientId: s.study.patient.patientId,
      studyInstanceUid: s.study.studyInstanceUid,
      modality: s.modality,
      description: s.description,
      folder: s.folder,
      geometry: s.geometry,
      dtype: s.dtype,
      volumePath: s.volumePath,
      intensityRange: [s.huMin, s.huMax],
      warnings: s.warnings,
      label: s.label && { sourcePath: s.label.sourcePath, kind: s.label.kind, volumePath: s.label.volumePath, voxelCounts: s.label.voxelCounts },
    };
  });
  return {
    name: ds.name,
    id: ds.id,
    createdAt: ds.createdAt.toISOString(),
    patients: new Set(series.map((s) => s.patientId)).size,
    classMap: ds.classMap,
    classVoxels,
    series,
    lastIngest: run
      ? {
          startedAt: run.startedAt.toISOString(),
          status: run.status,
          errors: run.issues.filter((i) => i.severity === 'error').map(({ path, reason }) => ({ path, reason })),
          warnings: run.issues.filter((i) => i.severity === 'warning').map(({ path, reason }) => ({ path, reason })),
        }
      : null,
  };
}
