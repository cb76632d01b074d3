import fs from 'node:fs';
import path from 'node:path';
import { describeThrown } from '../dicom/errors.js';
import { quoteValue, uidProblem } from '../dicom/uid.js';
import { keyHash } from '../util/safeName.js';
import { answerUid, DicomWebError, type DicomWebClient } from './dicomwebClient.js';

/** What to pull: one study by its UID, or every series matching a QIDO query ("Modality=CT&StudyDate=2024..."). */
export type PullSelection = { study: string } | { query: string };

export interface PullSummary {
  server: string;
  series: number;
  instances: number;
  /** Instances fetched by this pull. */
  downloaded: number;
  /** Instances already in the mirror from an earlier pull (not fetched again). */
  reused: number;
  failed: { path: string; reason: string }[];
  /** One folder per series in the local mirror, ready for folder ingest. */
  folders: string[];
}

function checkedStudy(uid: string): string {
  const problem = uidProblem(uid);
  if (problem) throw new DicomWebError(`--study ${quoteValue(uid)} ${problem}`);
  return uid;
}

/** QIDO parameters a series search may carry: attribute keywords or tags, and fuzzy matching. */
function queryParams(query: string): URLSearchParams {
  const params = new URLSearchParams(query);
  for (const [key, value] of params) {
    if (!/^([A-Za-z][A-Za-z0-9]*|[0-9A-Fa-f]{8})$/.test(key)) throw new DicomWebError(`--query: "${key}" is not an attribute keyword or tag (e.g. Modality=CT&StudyDate=20240101-20241231)`);
    if (value.length > 256) throw new DicomWebError(`--query: the value of ${key} has ${value.length} characters (at most 256)`);
  }
  return params;
}

/**
 * Copies the selected series from a DICOMweb server into a local mirror folder, one folder per series
 * (named by hashes of the server and UIDs, never by a value from the answer), one file per instance.
 * An instance already mirrored is not fetched again, so an interrupted pull resumes; each file is
 * written to a temporary name and renamed, so a half-written file never looks complete. An instance
 * that fails is reported and the rest goes on.
 */
export async function pullFromDicomWeb(client: DicomWebClient, selection: PullSelection, o: { mirrorDir: string; concurrency?: number; onProgress?: (done: number, total: number) => void }): Promise<PullSummary> {
  const seriesList =
    'study' in selection
      ? (await client.search(`/studies/${checkedStudy(selection.study)}/series`)).map((s) => ({ study: selection.study, series: answerUid(s, '0020000E', 'SeriesInstanceUID') }))
      : (await client.search('/series', queryParams(selection.query))).map((s) => ({ study: answerUid(s, '0020000D', 'StudyInstanceUID'), series: answerUid(s, '0020000E', 'SeriesInstanceUID') }));
  if (seriesList.length === 0) throw new DicomWebError(`${client.server.label}: no series match ${'study' in selection ? `study ${selection.study}` : `"${selection.query}"`}`);
  const root = path.join(o.mirrorDir, keyHash(client.server.base));
  const work: { file: string; study: string; series: string; sop: string }[] = [];
  const folders: string[] = [];
  for (const s of seriesList) {
    const folder = path.join(root, keyHash(s.study), keyHash(s.series));
    folders.push(folder);
    for (const inst of await client.search(`/studies/${s.study}/series/${s.series}/instances`)) {
      const sop = answerUid(inst, '00080018', 'SOPInstanceUID');
      work.push({ file: path.join(folder, `${keyHash(sop)}.dcm`), ...s, sop });
    }
  }
  const summary: PullSummary = { server: client.server.label, series: seriesList.length, instances: work.length, downloaded: 0, reused: 0, failed: [], folders };
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const w = work[next++];
      if (fs.existsSync(w.file)) summary.reused++;
      else {
        try {
          const bytes = await client.retrieveInstance(w.study, w.series, w.sop);
          fs.mkdirSync(path.dirname(w.file), { recursive: true });
          const tmp = `${w.file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, bytes);
          fs.renameSync(tmp, w.file);
          summary.downloaded++;
        } catch (err) {
          summary.failed.push({ path: `${client.server.label}/studies/${w.study}/series/${w.series}/instances/${w.sop}`, reason: describeThrown(err) });
        }
      }
      o.onProgress?.(++done, work.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, Math.max(1, work.length)) }, worker));
  return summary;
}
