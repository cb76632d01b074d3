import path from 'node:path';
import type { Db } from '../db/client.js';
import { saveSeries, type IssueRecord, type SourceFileRecord } from '../db/catalog.js';
import { describeThrown } from '../dicom/errors.js';
import { planSeries, type InstanceRef, type SeriesPlan, type SeriesProblem } from '../dicom/series.js';
import { volumeExists } from '../data/volumeCache.js';
import { sha1 } from '../util/files.js';
import { cacheName } from '../util/safeName.js';
import type { VolumePool } from './volumePool.js';

/** A series that forms no volume: an error, or a warning for one left out on purpose (a localizer). */
export const seriesProblemIssue = (p: SeriesProblem): IssueRecord => ({
  severity: p.severity === 'note' ? 'warning' : 'error',
  path: p.paths[0],
  reason: `series ${p.seriesInstanceUid} (${p.paths.length} file(s)): ${p.reason}`,
});

export interface VolumePhaseInput {
  db: Db;
  datasetId: string;
  /** The dataset's cache folder. */
  cacheDir: string;
  /** Every image instance of the import (SEG objects excluded), for re-planning a series. */
  images: InstanceRef[];
  /** Size and mtime of every file, this import's and earlier ones', for the series fingerprints. */
  fileStat: Map<string, { size: number; mtimeMs: number }>;
  /** Stored fingerprint and volume of each series already catalogued. */
  fingerprints: Map<string, { fingerprint: string; volumePath: string }>;
  workers: () => VolumePool;
  /** Catalogue writes already under way; series are saved after them, one at a time. */
  pending: Promise<unknown>;
  issues: IssueRecord[];
  onProgress?: (done: number, total: number) => void;
}

export interface VolumePhaseResult {
  plans: SeriesPlan[];
  built: number;
  skipped: number;
  slices: number;
  /** Files whose pixels could not be decoded: recorded as rejected, so a rerun skips them. */
  decodeRejects: SourceFileRecord[];
}

/** Fingerprint of a series: its files (path, size, mtime) and SOP instances, whichever import saw them. */
function fingerprintOf(p: SeriesPlan, fileStat: VolumePhaseInput['fileStat']): string {
  return sha1(
    p.instances
      .map((i) => `${i.path}|${fileStat.get(i.path)?.size ?? ''}|${Math.round(fileStat.get(i.path)?.mtimeMs ?? 0)}|${i.header.sopInstanceUid}`)
      .sort()
      .join('\n'),
  );
}

/**
 * Builds and catalogues the planned series in parallel on the worker threads: an unchanged series (same
 * fingerprint, volume still cached) is skipped; a series with undecodable files is planned again without
 * them (their slices become gaps) and built once more; a series that still cannot be built is reported
 * and the others go on. Each series is saved in its own transaction after its volume is cached.
 */
export async function buildVolumes(plans: SeriesPlan[], o: VolumePhaseInput): Promise<VolumePhaseResult> {
  const r: VolumePhaseResult = { plans: [], built: 0, skipped: 0, slices: 0, decodeRejects: [] };
  let dbQueue = o.pending;
  const folderOf = (p: string) => path.dirname(p);
  const rejectDecodeFailures = (failures: { path: string; reason: string }[]) => {
    for (const f of failures) {
      o.issues.push({ severity: 'error', path: f.path, reason: f.reason });
      const st = o.fileStat.get(f.path);
      if (st) r.decodeRejects.push({ path: f.path, size: st.size, mtimeMs: st.mtimeMs, status: 'rejected', header: null, reason: f.reason });
    }
  };
  const buildOne = async (initial: SeriesPlan): Promise<void> => {
    const existing = o.fingerprints.get(initial.seriesInstanceUid);
    if (existing && existing.fingerprint === fingerprintOf(initial, o.fileStat) && volumeExists(existing.volumePath)) {
      r.skipped++;
      r.slices += initial.slices.length;
      r.plans.push(initial);
      return;
    }
    const job = { cacheDir: o.cacheDir, name: cacheName(initial.seriesInstanceUid, 'image') };
    let plan = initial;
    let result = await o.workers().run(plan, job);
    if (!result.ok) {
      rejectDecodeFailures(result.failures);
      // Planned again from all of the series' files (not only those kept), so every warning and
      // left-out file of the first plan is found again, and the gap is reported as missing slices.
      const bad = new Set(result.failures.map((f) => f.path));
      const retry = planSeries(
        o.images.filter((i) => i.header.seriesInstanceUid === initial.seriesInstanceUid && !bad.has(i.path)),
        folderOf,
      );
      for (const p of retry.problems) o.issues.push(seriesProblemIssue(p));
      if (!retry.plans[0]) return;
      plan = retry.plans[0];
      result = await o.workers().run(plan, job);
      if (!result.ok) return rejectDecodeFailures(result.failures);
    }
    const { volumePath, dtype, min, max } = result;
    const ready = plan;
    const save = dbQueue.then(() => saveSeries(o.db, o.datasetId, ready, { fingerprint: fingerprintOf(ready, o.fileStat), volumePath, dtype, geometry: ready.geometry, min, max }));
    dbQueue = save.catch(() => undefined);
    await save;
    r.built++;
    r.slices += ready.slices.length;
    r.plans.push(ready);
  };
  let done = 0;
  await Promise.all(
    plans.map((p) =>
      buildOne(p)
        .catch((err: unknown) => {
          o.issues.push({ severity: 'error', path: p.folder, reason: `series ${p.seriesInstanceUid}: volume could not be built: ${describeThrown(err)}` });
        })
        .finally(() => o.onProgress?.(++done, plans.length)),
    ),
  );
  r.plans.sort((a, b) => a.patientId.localeCompare(b.patientId) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
  return r;
}
