import fs from 'node:fs';
import path from 'node:path';
import { DicomWebClient, DicomWebError, parseDicomWebUrl, type DicomWebAuth } from '../dicomweb/dicomwebClient.js';
import { pullFromDicomWeb } from '../dicomweb/pull.js';
import { cStore, isDimseAddress, parseDimseAddress } from '../dimse/cStore.js';
import { predictSeries, type PredictOptions, type PredictResult } from './predictSeries.js';

export interface PacsPredictOptions extends PredictOptions {
  /** When `input` is a DICOMweb server: the study to pull the series from. */
  study?: string;
  /** Where to store the SEG: a DICOMweb server (STOW-RS) or a DIMSE peer dicom://AE@HOST:PORT (C-STORE). */
  push?: string;
  auth: DicomWebAuth | undefined;
  mirrorDir: string;
  /** Calling AE title for C-STORE. */
  callingAe: string;
}

export const isDicomWebAddress = (p: string): boolean => /^(dicomwebs?|https?):\/\//i.test(p);

/**
 * predict with a PACS at either end: the series may come from a DICOMweb server (pulled into the local
 * mirror first, like ingest) and the DICOM SEG may be stored back with STOW-RS or C-STORE. Without --seg,
 * a push writes the SEG beside the label map (OUT.seg.dcm).
 */
export async function predictWithPacs(o: PacsPredictOptions): Promise<PredictResult & { pushed: string | null }> {
  let input = o.input;
  if (isDicomWebAddress(o.input)) {
    if (!o.study) throw new DicomWebError('--input is a DICOMweb server: give the study to segment with --study UID');
    const client = new DicomWebClient(parseDicomWebUrl(o.input), o.auth);
    const pulled = await pullFromDicomWeb(client, { study: o.study }, { mirrorDir: o.mirrorDir, onProgress: (d, t) => o.onProgress?.('download', d, t) });
    if (pulled.failed.length) throw new DicomWebError(`${pulled.failed.length} instance(s) of study ${o.study} could not be retrieved, e.g. ${pulled.failed[0].path}: ${pulled.failed[0].reason}`);
    input = path.dirname(pulled.folders[0]);
  } else if (o.study) throw new DicomWebError('--study selects from a DICOMweb server: give --input dicomweb://HOST/PATH');
  // Addresses are checked before the prediction runs, so a typo costs no segmentation time.
  const peer = o.push && isDimseAddress(o.push) ? parseDimseAddress(o.push) : null;
  const stow = o.push && !peer ? new DicomWebClient(parseDicomWebUrl(o.push), o.auth) : null;
  const seg = o.seg ?? (o.push ? o.out.replace(/\.nii(\.gz)?$/, '.seg.dcm') : undefined);
  const result = await predictSeries({ ...o, input, seg });
  if (!o.push || !result.seg) return { ...result, pushed: null };
  o.onProgress?.('push', 0, 1);
  if (peer) await cStore(peer, [result.seg], o.callingAe);
  else if (stow) {
    const { failed } = await stow.store([fs.readFileSync(result.seg)]);
    if (failed.length) throw new DicomWebError(`${stow.server.label} did not store the SEG (${failed[0].reason})`);
  }
  o.onProgress?.('push', 1, 1);
  return { ...result, pushed: peer?.label ?? stow?.server.label ?? null };
}
