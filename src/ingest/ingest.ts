import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client.js';
import {
  datasetSeries,
  finishIngestRun,
  knownSourceFiles,
  saveLabel,
  saveSeries,
  saveSourceFiles,
  seriesFingerprints,
  setClassMap,
  startIngestRun,
  upsertDataset,
  type IssueRecord,
  type SourceFileRecord,
} from '../db/catalog.js';
import { initCodecs } from '../dicom/codecs.js';
import { DicomError, describeThrown } from '../dicom/errors.js';
import { InstanceHeaderSchema, readInstanceHeader, type InstanceHeader } from '../dicom/header.js';
import { parseDicom } from '../dicom/parse.js';
import { SEGMENTATION_STORAGE } from '../dicom/seg.js';
import { planSeries, type InstanceRef, type SeriesPlan } from '../dicom/series.js';
import { transferSyntaxInfo } from '../dicom/transferSyntax.js';
import { VolumeGeometrySchema } from '../data/geometry.js';
import { alignLabelToSeries, LabelMismatchError } from '../data/labelAlign.js';
import { volumeExists, writeVolume } from '../data/volumeCache.js';
import { NiftiError, readNifti } from '../nifti/nifti.js';
import { ingestLabels } from './ingestLabels.js';
import { scanFiles } from './scan.js';
import { VolumePool } from './volumePool.js';

export type IngestPhase = 'scan' | 'headers' | 'volumes' | 'labels';

export interface IngestOptions {
  dataset: string;
  paths: string[];
  labelsDir?: string;
  cacheDir: string;
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
}

const sha1 = (text: string) => crypto.createHash('sha1').update(text).digest('hex');

function readHeader(file: string): InstanceHeader {
  const bytes = fs.readFileSync(file);
  const parsed = parseDicom(bytes, file);
  const header = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  if (!header.seriesInstanceUid) throw new DicomError(`${file}: no SeriesInstanceUID (0020,000E)`, 'malformed');
  if (!header.sopInstanceUid) throw new DicomError(`${file}: no SOPInstanceUID (0008,0018)`, 'malformed');
  if (!transferSyntaxInfo(header.transferSyntaxUid)) {
    throw new DicomError(`${file}: unsupported transfer syntax ${header.transferSyntaxUid}`, 'unsupported-syntax');
  }
  if (!header.hasPixelData) throw new DicomError(`${file}: no Pixel Data (7FE0,0010)`, 'no-pixel-data');
  return header;
}

/**
 * Imports DICOM folders (and optionally a labels folder) into a dataset. Every bad file is recorded with
 * its reason and skipped. Each series is committed in its own transaction after its volume is cached,
 * so an interrupted import leaves a consistent catalogue and a rerun finishes the rest; unchanged files
 * and series are recognised (path, size, mtime) and skipped.
 */
export async function ingest(db: Db, opts: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const dataset = await upsertDataset(db, opts.dataset);
  const run = await startIngestRun(db, dataset.id);
  const issues: IssueRecord[] = [];
  try {
    await initCodecs();
    opts.onProgress?.('scan', 0, 1);
    const labelsDir = opts.labelsDir ? path.resolve(opts.labelsDir) : undefined;
    const files = scanFiles(opts.paths, labelsDir ? [labelsDir] : []);
    opts.onProgress?.('scan', 1, 1);

    const known = await knownSourceFiles(db, dataset.id);
    const instances: InstanceRef[] = [];
    const updates: SourceFileRecord[] = [];
    let unchanged = 0;
    let rejected = 0;
    files.forEach((f, i) => {
      const prev = known.get(f.path);
      // mtimeMs goes through a float column and may come back with its last digits rounded.
      if (prev && prev.size === f.size && Math.abs(prev.mtimeMs - f.mtimeMs) < 0.01 && prev.status === 'dicom' && prev.header) {
        const cached = InstanceHeaderSchema.safeParse(JSON.parse(prev.header));
        if (cached.success) {
          instances.push({ path: f.path, header: cached.data });
          unchanged++;
          opts.onProgress?.('headers', i + 1, files.length);
          return;
        }
      }
      try {
        const header = readHeader(f.path);
        instances.push({ path: f.path, header });
        updates.push({ ...f, status: 'dicom', header: JSON.stringify(header) });
      } catch (err) {
        rejected++;
        issues.push({ severity: 'error', path: f.path, reason: err instanceof DicomError ? err.message : `${f.path}: ${describeThrown(err)}` });
        updates.push({ ...f, status: 'rejected', header: null });
      }
      opts.onProgress?.('headers', i + 1, files.length);
    });
    await saveSourceFiles(db, dataset.id, updates);

    // Series touched by this import also keep files seen by earlier imports into the same dataset.
    const touched = new Set(instances.map((i) => i.header.seriesInstanceUid));
    const scanned = new Set(files.map((f) => f.path));
    for (const prev of known.values()) {
      if (scanned.has(prev.path) || prev.status !== 'dicom' || !prev.header || !fs.existsSync(prev.path)) continue;
      const header = InstanceHeaderSchema.safeParse(JSON.parse(prev.header));
      if (header.success && touched.has(header.data.seriesInstanceUid)) instances.push({ path: prev.path, header: header.data });
    }

    // Segmentation objects are labels, not images: they are painted onto their series after the volumes exist.
    const segPaths = instances.filter((i) => i.header.sopClassUid === SEGMENTATION_STORAGE).map((i) => i.path);
    const images = instances.filter((i) => i.header.sopClassUid !== SEGMENTATION_STORAGE);
    const folderOf = (p: string) => path.dirname(p);
    let { plans, problems } = planSeries(images, folderOf);
    for (const p of problems) issues.push({ severity: 'error', path: p.paths[0], reason: `series ${p.seriesInstanceUid} (${p.paths.length} file(s)): ${p.reason}` });

    const fingerprints = await seriesFingerprints(db, dataset.id);
    const fileStat = new Map(files.map((f) => [f.path, f]));
    const fingerprint = (p: SeriesPlan) =>
      sha1(
        p.instances
          .map((i) => `${i.path}|${fileStat.get(i.path)?.size ?? ''}|${fileStat.get(i.path)?.mtimeMs ?? ''}|${i.header.sopInstanceUid}`)
          .sort()
          .join('\n'),
      );
    let built = 0;
    let skipped = 0;
    let slices = 0;
    let done = 0;
    const cacheDir = path.join(opts.cacheDir, dataset.id);
    const pool = new VolumePool();
    // Volumes are built in parallel on worker threads; catalogue writes are serialised on this thread.
    let dbQueue: Promise<unknown> = Promise.resolve();
    const finalPlans: SeriesPlan[] = [];
    const buildOne = async (initial: SeriesPlan): Promise<void> => {
      let plan: SeriesPlan | undefined = initial;
      const existing = fingerprints.get(plan.seriesInstanceUid);
      if (existing && existing.fingerprint === fingerprint(plan) && volumeExists(existing.volumePath)) {
        skipped++;
        slices += plan.slices.length;
        finalPlans.push(plan);
        return;
      }
      const job = { cacheDir, name: `${plan.seriesInstanceUid}.image` };
      let result = await pool.run(plan, job);
      if (!result.ok) {
        // Drop undecodable files and plan the series again, so the gap is reported as missing slices.
        for (const f of result.failures) issues.push({ severity: 'error', path: f.path, reason: f.reason });
        const bad = new Set(result.failures.map((f) => f.path));
        const retry = planSeries(plan.instances.filter((i) => !bad.has(i.path)), folderOf);
        for (const p of retry.problems) issues.push({ severity: 'error', path: p.paths[0], reason: `series ${p.seriesInstanceUid}: ${p.reason}` });
        plan = retry.plans[0];
        if (!plan) return;
        result = await pool.run(plan, job);
        if (!result.ok) {
          for (const f of result.failures) issues.push({ severity: 'error', path: f.path, reason: f.reason });
          return;
        }
      }
      const ready = plan;
      const { volumePath, dtype, min, max } = result;
      const save = dbQueue.then(() => saveSeries(db, dataset.id, ready, { fingerprint: fingerprint(ready), volumePath, dtype, geometry: ready.geometry, min, max }));
      dbQueue = save.catch(() => undefined);
      await save;
      built++;
      slices += ready.slices.length;
      finalPlans.push(ready);
    };
    try {
      await Promise.all(
        plans.map((p) =>
          buildOne(p).finally(() => {
            done++;
            opts.onProgress?.('volumes', done, plans.length);
          }),
        ),
      );
    } finally {
      await pool.close();
    }
    plans = finalPlans.sort((a, b) => a.patientId.localeCompare(b.patientId) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
    for (const p of plans) for (const w of p.warnings) issues.push({ severity: 'warning', path: p.folder, reason: `series ${p.seriesInstanceUid}: ${w}` });

    let labelsMatched = 0;
    let labelsRejected = 0;
    if (labelsDir || segPaths.length) {
      const result = await ingestLabels(db, dataset.id, { labelsDir, segPaths }, opts.onProgress, opts.cacheDir, issues);
      labelsMatched = result.matched;
      labelsRejected = result.rejected;
    }

    const all = await datasetSeries(db, dataset.id);
    const summary: IngestSummary = {
      dataset: opts.dataset,
      files: files.length,
      dicomFiles: files.length - rejected,
      rejectedFiles: rejected,
      unchangedFiles: unchanged,
      series: plans.length,
      seriesBuilt: built,
      seriesUnchanged: skipped,
      slices,
      labelsMatched,
      labelsRejected,
      warnings: issues.filter((i) => i.severity === 'warning').length,
      errors: issues.filter((i) => i.severity === 'error').length,
      issues,
      seriesTable: all.map((s) => ({
        patientId: s.study.patient.patientId,
        seriesInstanceUid: s.seriesInstanceUid,
        modality: s.modality,
        size: `${s.columns}x${s.rows}x${s.slices}`,
        spacing: [s.spacingX, s.spacingY, s.spacingZ].map((v) => v.toFixed(2)).join('x'),
        label: s.label ? path.basename(s.label.sourcePath) : '',
        warnings: (JSON.parse(s.warnings) as string[]).length,
      })),
      durationMs: Date.now() - started,
    };
    await finishIngestRun(db, run.id, dataset.id, 'completed', { ...summary, issues: undefined }, issues);
    return summary;
  } catch (err) {
    await finishIngestRun(db, run.id, dataset.id, 'failed', { error: describeThrown(err) }, issues);
    throw err;
  }
}
