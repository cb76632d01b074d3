import type { Db } from '../db/client.js';
import { DicomWebClient, parseDicomWebUrl, type DicomWebAuth } from '../dicomweb/dicomwebClient.js';
import { pullFromDicomWeb, type PullSelection, type PullSummary } from '../dicomweb/pull.js';
import { ingest, type IngestOptions, type IngestSummary } from './ingest.js';

export interface DicomWebIngestOptions extends Omit<IngestOptions, 'paths' | 'priorIssues'> {
  /** dicomweb://HOST/PATH (or dicomwebs://, http(s)://). */
  url: string;
  selection: PullSelection;
  auth: DicomWebAuth | undefined;
  /** Where pulled instances are kept between pulls (config pacs.mirrorDir). */
  mirrorDir: string;
}

/**
 * Ingest from a PACS: pull the selected series over DICOMweb into the local mirror (QIDO-RS, WADO-RS),
 * then ingest the mirrored series folders as any folder. A rerun fetches only what is missing and
 * re-catalogues only what changed; an instance that could not be fetched is one error among the
 * ingest's issues and the rest goes on.
 */
export async function ingestFromDicomWeb(db: Db, o: DicomWebIngestOptions): Promise<IngestSummary & { pulled: Omit<PullSummary, 'folders'> }> {
  const client = new DicomWebClient(parseDicomWebUrl(o.url), o.auth);
  const { folders, ...pulled } = await pullFromDicomWeb(client, o.selection, { mirrorDir: o.mirrorDir, onProgress: (d, t) => o.onProgress?.('download', d, t) });
  const summary = await ingest(db, { ...o, paths: folders, priorIssues: pulled.failed.map((f) => ({ severity: 'error', path: f.path, reason: `not retrieved: ${f.reason}` })) });
  return { ...summary, pulled };
}
