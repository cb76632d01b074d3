import fs from 'node:fs';
import type { IssueRecord, KnownSourceFile, SourceFileRecord } from '../db/catalog.js';
import { failureReason } from '../dicom/errors.js';
import type { InstanceRef } from '../dicom/series.js';
import { readHeader } from './readHeader.js';
import type { ScannedFile } from './scan.js';

export interface HeaderPhaseResult {
  instances: InstanceRef[];
  /** New and changed files' records, to be saved. */
  updates: SourceFileRecord[];
  unchanged: number;
  rejected: number;
}

/** mtimeMs goes through a float column and may come back with its last digits rounded. */
export const unchangedSince = (f: ScannedFile, prev: KnownSourceFile | undefined): prev is KnownSourceFile => prev !== undefined && prev.size === f.size && Math.abs(prev.mtimeMs - f.mtimeMs) < 0.01;

/**
 * Headers of the scanned files: an unchanged file's from the catalogue (a rejected one is reported again
 * with its recorded reason), every other file's parsed up to its Pixel Data; a file that cannot be read
 * is rejected with its reason and the rest goes on.
 */
export function readHeaders(files: ScannedFile[], known: Map<string, KnownSourceFile>, issues: IssueRecord[], onProgress?: (done: number, total: number) => void): HeaderPhaseResult {
  const r: HeaderPhaseResult = { instances: [], updates: [], unchanged: 0, rejected: 0 };
  files.forEach((f, i) => {
    const prev = known.get(f.path);
    if (unchangedSince(f, prev) && prev.status === 'rejected' && prev.reason) {
      r.rejected++;
      issues.push({ severity: 'error', path: f.path, reason: prev.reason });
    } else if (unchangedSince(f, prev) && prev.header) {
      r.instances.push({ path: f.path, header: prev.header });
      r.unchanged++;
    } else {
      try {
        const header = readHeader(f.path, f.size);
        r.instances.push({ path: f.path, header });
        r.updates.push({ ...f, status: 'dicom', header: JSON.stringify(header), reason: null });
      } catch (err) {
        r.rejected++;
        const reason = failureReason(f.path, err);
        issues.push({ severity: 'error', path: f.path, reason });
        r.updates.push({ ...f, status: 'rejected', header: null, reason });
      }
    }
    onProgress?.(i + 1, files.length);
  });
  return r;
}

/** Files of earlier imports into the dataset that belong to a series this import touches (still on disk). */
export function earlierInstances(known: Map<string, KnownSourceFile>, scanned: ScannedFile[], instances: InstanceRef[]): InstanceRef[] {
  const touched = new Set(instances.map((i) => i.header.seriesInstanceUid));
  const seen = new Set(scanned.map((f) => f.path));
  return [...known.values()].filter((prev) => !seen.has(prev.path) && prev.header && touched.has(prev.header.seriesInstanceUid) && fs.existsSync(prev.path)).map((prev) => ({ path: prev.path, header: prev.header! }));
}
