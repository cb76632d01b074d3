import path from 'node:path';
import type { Db } from '../db/client.js';
import { datasetSeries, finishIngestRun, knownSourceFiles, saveSourceFiles, seriesFingerprints, startIngestRun, upsertDataset, type IssueRecord } from '../db/catalog.js';
import { describeThrown } from '../dicom/errors.js';
import { RT_STRUCTURE_SET_STORAGE } from '../dicom/rtstruct.js';
import { SEGMENTATION_STORAGE } from '../dicom/seg.js';
import { planSeries } from '../dicom/series.js';
import { earlierInstances, readHeaders, unchangedSince } from './headerPhase.js';
import { ingestLabels } from './ingestLabels.js';
import { reconcileIngest } from './reconcileIngest.js';
import { scanFiles } from './scan.js';
import { buildVolumes, seriesProblemIssue } from './volumePhase.js';
import { VolumePool } from './volumePool.js';

export type IngestPhase = 'download' | 'scan' | 'headers' | 'volumes' | 'labels';

export interface IngestOptions {
  dataset: string;
  paths: string[];
  labelsDir?: string;
  cacheDir: string;
  /** Issues found before the import (e.g. instances a PACS pull could not retrieve), kept with its record. */
  priorIssues?: IssueRecord[];
  onProgress?: (phase: IngestPhase, done: number, total: number) => void;
}

export interface IngestSummary {
  dataset: string;
  files: number;
  dicomFiles: number;
  rejectedFiles: number;
  /** Files whose header came from the catalogue instead of being parsed again. */
  unchangedFiles: number;
  series: number;
  seriesBuilt: number;
  seriesUnchanged: number;
  slices: number;
  labelsMatched: number;
  labelsRejected: number;
  warnings: number;
  errors: number;
  issues: IssueRecord[];
  seriesTable: { patientId: string; seriesInstanceUid: string; modality: string; size: string; spacing: string; label: string; warnings: number }[];
  durationMs: number;
  /** Wall time of each phase: scan, headers (parse + catalogue), volumes (decode + cache), labels. */
  phaseMs: Record<'scan' | 'headers' | 'volumes' | 'labels', number>;
}

/**
 * Imports DICOM folders (and optionally a labels folder) into a dataset, in four phases: scan, headers,
 * volumes, labels. Every bad file is recorded with its reason and skipped. Each series is committed in
 * its own transaction after its volume is cached, so an interrupted import leaves a consistent catalogue
 * and a rerun finishes the rest; unchanged files and series are recognised (path, size, mtime) and skipped.
 */
export async function ingest(db: Db, opts: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  await reconcileIngest(db, opts.cacheDir);
  const dataset = await upsertDataset(db, opts.dataset);
  const run = await startIngestRun(db, dataset.id);
  const issues: IssueRecord[] = [...(opts.priorIssues ?? [])];
  const phaseMs: IngestSummary['phaseMs'] = { scan: 0, headers: 0, volumes: 0, labels: 0 };
  let phaseStart = Date.now();
  const endPhase = (phase: keyof typeof phaseMs) => {
    phaseMs[phase] = Date.now() - phaseStart;
    phaseStart = Date.now();
  };
  // Worker threads start only when there is decoding to do (never on an unchanged rerun).
  let pool: VolumePool | undefined;
  const workers = () => (pool ??= new VolumePool());
  try {
    opts.onProgress?.('scan', 0, 1);
    const labelsDir = opts.labelsDir ? path.resolve(opts.labelsDir) : undefined;
    const { files, problems: scanProblems } = scanFiles(opts.paths, labelsDir ? [labelsDir] : []);
    for (const p of scanProblems) issues.push({ severity: 'error', path: p.path, reason: p.reason });
    opts.onProgress?.('scan', 1, 1);
    endPhase('scan');

    const known = await knownSourceFiles(db, dataset.id);
    // New or changed files will almost surely need decoding: start the workers now, so their start-up
    // overlaps the header phase.
    if (files.some((f) => !unchangedSince(f, known.get(f.path)))) workers();
    const headers = readHeaders(files, known, issues, (d, t) => opts.onProgress?.('headers', d, t));
    // Catalogue writes are serialised on this thread; the file records go first, while the workers
    // already decode volumes.
    const sourceFilesSaved = saveSourceFiles(db, dataset.id, headers.updates);
    sourceFilesSaved.catch(() => undefined); // awaited (and rethrown) below; this only marks it handled
    endPhase('headers');

    const instances = [...headers.instances, ...earlierInstances(known, files, headers.instances)];
    // Segmentations and structure sets are labels, not images: they are painted onto their series after the volumes exist.
    const isLabel = (sopClass: string) => sopClass === SEGMENTATION_STORAGE || sopClass === RT_STRUCTURE_SET_STORAGE;
    const segPaths = instances.filter((i) => isLabel(i.header.sopClassUid)).map((i) => i.path);
    const images = instances.filter((i) => !isLabel(i.header.sopClassUid));
    const planned = planSeries(images, (p) => path.dirname(p));
    for (const p of planned.problems) issues.push(seriesProblemIssue(p));
    // Files from earlier imports keep their recorded size and mtime, so a series built from several
    // imports has the same fingerprint whichever folder is ingested again.
    const fileStat = new Map<string, { size: number; mtimeMs: number }>([...known.values()].map((k) => [k.path, k]));
    for (const f of files) fileStat.set(f.path, f);
    const volumes = await buildVolumes(planned.plans, {
      db,
      datasetId: dataset.id,
      cacheDir: path.join(opts.cacheDir, dataset.id),
      images,
      fileStat,
      fingerprints: await seriesFingerprints(db, dataset.id),
      workers,
      pending: sourceFilesSaved,
      issues,
      onProgress: (d, t) => opts.onProgress?.('volumes', d, t),
    });
    await pool?.close();
    await sourceFilesSaved;
    await saveSourceFiles(db, dataset.id, volumes.decodeRejects);
    endPhase('volumes');
    for (const p of volumes.plans) {
      for (const w of p.warnings) issues.push({ severity: 'warning', path: p.folder, reason: `series ${p.seriesInstanceUid}: ${w}` });
      for (const f of p.dropped) issues.push({ severity: 'warning', path: f.path, reason: `${f.path}: series ${p.seriesInstanceUid}: ${f.reason}` });
    }

    const labels = labelsDir || segPaths.length ? await ingestLabels(db, dataset.id, { labelsDir, segPaths }, opts.onProgress, opts.cacheDir, issues) : { matched: 0, rejected: 0 };
    endPhase('labels');

    const rejected = headers.rejected + volumes.decodeRejects.length;
    const summary: IngestSummary = {
      dataset: opts.dataset,
      files: files.length,
      dicomFiles: files.length - rejected,
      rejectedFiles: rejected,
      unchangedFiles: headers.unchanged,
      series: volumes.plans.length,
      seriesBuilt: volumes.built,
      seriesUnchanged: volumes.skipped,
      slices: volumes.slices,
      labelsMatched: labels.matched,
      labelsRejected: labels.rejected,
      warnings: issues.filter((i) => i.severity === 'warning').length,
      errors: issues.filter((i) => i.severity === 'error').length,
      issues,
      seriesTable: seriesTable(await datasetSeries(db, dataset.id)),
      durationMs: Date.now() - started,
      phaseMs,
    };
    await finishIngestRun(db, run.id, dataset.id, 'completed', { ...summary, issues: undefined }, issues);
    return summary;
  } catch (err) {
    await finishIngestRun(db, run.id, dataset.id, 'failed', { error: describeThrown(err) }, issues);
    throw err;
  } finally {
    await pool?.close();
  }
}

function seriesTable(rows: Awaited<ReturnType<typeof datasetSeries>>): IngestSummary['seriesTable'] {
  return rows.map((s) => ({
    patientId: s.study.patient.patientId,
    seriesInstanceUid: s.seriesInstanceUid,
    modality: s.modality,
    size: `${s.columns}x${s.rows}x${s.slices}`,
    spacing: [s.spacingX, s.spacingY, s.spacingZ].map((v) => v.toFixed(2)).join('x'),
    label: s.label ? path.basename(s.label.sourcePath) : '',
    warnings: s.warnings.length,
  }));
}
