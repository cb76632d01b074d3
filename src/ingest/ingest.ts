import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client.js';
import {
  datasetSeries,
  finishIngestRun,
  knownSourceFiles,
  saveSeries,
  saveSourceFiles,
  seriesFingerprints,
  startIngestRun,
  upsertDataset,
  type IssueRecord,
  type SourceFileRecord,
} from '../db/catalog.js';
import { describeThrown, failureReason } from '../dicom/errors.js';
import { InstanceHeaderSchema } from '../dicom/header.js';
import { SEGMENTATION_STORAGE } from '../dicom/seg.js';
import { planSeries, type InstanceRef, type SeriesPlan, type SeriesProblem } from '../dicom/series.js';
import { volumeExists } from '../data/volumeCache.js';
import { ingestLabels } from './ingestLabels.js';
import { readHeader } from './readHeader.js';
import { reconcileIngest } from './reconcileIngest.js';
import { scanFiles, type ScannedFile } from './scan.js';
import { sha1 } from '../util/files.js';
import { cacheName } from '../util/safeName.js';
import { VolumePool } from './volumePool.js';

/** A series that forms no volume: an error, or a warning for one left out on purpose (a localizer). */
const seriesProblemIssue = (p: SeriesProblem): IssueRecord => ({
  severity: p.severity === 'note' ? 'warning' : 'error',
  path: p.paths[0],
  reason: `series ${p.seriesInstanceUid} (${p.paths.length} file(s)): ${p.reason}`,
});

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
  /** Wall time of each phase: scan, headers (parse + catalogue), volumes (decode + cache), labels. */
  phaseMs: Record<'scan' | 'headers' | 'volumes' | 'labels', number>;
}

/**
 * Imports DICOM folders (and optionally a labels folder) into a dataset. Every bad file is recorded with
 * its reason and skipped. Each series is committed in its own transaction after its volume is cached,
 * so an interrupted import leaves a consistent catalogue and a rerun finishes the rest; unchanged files
 * and series are recognised (path, size, mtime) and skipped.
 */
export async function ingest(db: Db, opts: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  await reconcileIngest(db, opts.cacheDir);
  const dataset = await upsertDataset(db, opts.dataset);
  const run = await startIngestRun(db, dataset.id);
  const issues: IssueRecord[] = [];
  const phaseMs: Record<'scan' | 'headers' | 'volumes' | 'labels', number> = { scan: 0, headers: 0, volumes: 0, labels: 0 };
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
    // mtimeMs goes through a float column and may come back with its last digits rounded.
    type KnownFile = NonNullable<ReturnType<typeof known.get>>;
    const unchangedSince = (f: ScannedFile, prev: KnownFile | undefined): prev is KnownFile =>
      prev !== undefined && prev.size === f.size && Math.abs(prev.mtimeMs - f.mtimeMs) < 0.01;
    // New or changed files will almost surely need decoding: start the workers now, so their start-up
    // overlaps the header phase.
    if (files.some((f) => !unchangedSince(f, known.get(f.path)))) workers();
    const instances: InstanceRef[] = [];
    const updates: SourceFileRecord[] = [];
    let unchanged = 0;
    let rejected = 0;
    files.forEach((f, i) => {
      const prev = known.get(f.path);
      if (unchangedSince(f, prev)) {
        if (prev.status === 'rejected' && prev.reason) {
          rejected++;
          issues.push({ severity: 'error', path: f.path, reason: prev.reason });
          opts.onProgress?.('headers', i + 1, files.length);
          return;
        }
        const cached = prev.status === 'dicom' && prev.header ? InstanceHeaderSchema.safeParse(JSON.parse(prev.header)) : null;
        if (cached?.success) {
          instances.push({ path: f.path, header: cached.data });
          unchanged++;
          opts.onProgress?.('headers', i + 1, files.length);
          return;
        }
      }
      try {
        const header = readHeader(f.path, f.size);
        instances.push({ path: f.path, header });
        updates.push({ ...f, status: 'dicom', header: JSON.stringify(header), reason: null });
      } catch (err) {
        rejected++;
        const reason = failureReason(f.path, err);
        issues.push({ severity: 'error', path: f.path, reason });
        updates.push({ ...f, status: 'rejected', header: null, reason });
      }
      opts.onProgress?.('headers', i + 1, files.length);
    });
    // Catalogue writes are serialised on this thread; the file records go first, while the workers
    // already decode volumes.
    const sourceFilesSaved = saveSourceFiles(db, dataset.id, updates);
    sourceFilesSaved.catch(() => undefined); // awaited (and rethrown) below; this only marks it handled
    let dbQueue: Promise<unknown> = sourceFilesSaved;
    endPhase('headers');

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
    for (const p of problems) issues.push(seriesProblemIssue(p));

    const fingerprints = await seriesFingerprints(db, dataset.id);
    // Files from earlier imports keep their recorded size and mtime, so a series built from several
    // imports has the same fingerprint whichever folder is ingested again.
    const fileStat = new Map<string, { size: number; mtimeMs: number }>([...known.values()].map((k) => [k.path, k]));
    for (const f of files) fileStat.set(f.path, f);
    const fingerprint = (p: SeriesPlan) =>
      sha1(
        p.instances
          .map((i) => `${i.path}|${fileStat.get(i.path)?.size ?? ''}|${Math.round(fileStat.get(i.path)?.mtimeMs ?? 0)}|${i.header.sopInstanceUid}`)
          .sort()
          .join('\n'),
      );
    let built = 0;
    let skipped = 0;
    let slices = 0;
    let done = 0;
    const cacheDir = path.join(opts.cacheDir, dataset.id);
    // Volumes are built in parallel on worker threads; catalogue writes are serialised on this thread.
    const finalPlans: SeriesPlan[] = [];
    // Files whose pixels cannot be decoded are remembered as rejected, so a rerun skips them (and the
    // series fingerprint stays stable) without decoding them again.
    const decodeRejects: SourceFileRecord[] = [];
    const rejectDecodeFailures = (failures: { path: string; reason: string }[]) => {
      for (const f of failures) {
        issues.push({ severity: 'error', path: f.path, reason: f.reason });
        const st = fileStat.get(f.path);
        if (st) decodeRejects.push({ path: f.path, size: st.size, mtimeMs: st.mtimeMs, status: 'rejected', header: null, reason: f.reason });
        rejected++;
      }
    };
    const buildOne = async (initial: SeriesPlan): Promise<void> => {
      let plan: SeriesPlan | undefined = initial;
      const existing = fingerprints.get(plan.seriesInstanceUid);
      if (existing && existing.fingerprint === fingerprint(plan) && volumeExists(existing.volumePath)) {
        skipped++;
        slices += plan.slices.length;
        finalPlans.push(plan);
        return;
      }
      const job = { cacheDir, name: cacheName(plan.seriesInstanceUid, 'image') };
      let result = await workers().run(plan, job);
      if (!result.ok) {
        // Drop undecodable files and plan the series again, so the gap is reported as missing slices.
        rejectDecodeFailures(result.failures);
        // Planned again from all of the series' files (not only those kept), so every warning and
        // left-out file of the first plan is found again.
        const bad = new Set(result.failures.map((f) => f.path));
        const retry = planSeries(images.filter((i) => i.header.seriesInstanceUid === initial.seriesInstanceUid && !bad.has(i.path)), folderOf);
        for (const p of retry.problems) issues.push(seriesProblemIssue(p));
        plan = retry.plans[0];
        if (!plan) return;
        result = await workers().run(plan, job);
        if (!result.ok) {
          rejectDecodeFailures(result.failures);
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
    // One series that cannot be built (an unexpected decoder or cache error) is reported; the others go on.
    const buildContained = (p: SeriesPlan) =>
      buildOne(p).catch((err: unknown) => {
        issues.push({ severity: 'error', path: p.folder, reason: `series ${p.seriesInstanceUid}: volume could not be built: ${describeThrown(err)}` });
      });
    await Promise.all(
      plans.map((p) =>
        buildContained(p).finally(() => {
          done++;
          opts.onProgress?.('volumes', done, plans.length);
        }),
      ),
    );
    await pool?.close();
    await sourceFilesSaved;
    await saveSourceFiles(db, dataset.id, decodeRejects);
    endPhase('volumes');
    plans = finalPlans.sort((a, b) => a.patientId.localeCompare(b.patientId) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
    for (const p of plans) {
      for (const w of p.warnings) issues.push({ severity: 'warning', path: p.folder, reason: `series ${p.seriesInstanceUid}: ${w}` });
      for (const f of p.dropped) issues.push({ severity: 'warning', path: f.path, reason: `${f.path}: series ${p.seriesInstanceUid}: ${f.reason}` });
    }

    let labelsMatched = 0;
    let labelsRejected = 0;
    if (labelsDir || segPaths.length) {
      const result = await ingestLabels(db, dataset.id, { labelsDir, segPaths }, opts.onProgress, opts.cacheDir, issues);
      labelsMatched = result.matched;
      labelsRejected = result.rejected;
    }
    endPhase('labels');

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
