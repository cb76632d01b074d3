import fs from 'node:fs';
import { initCodecs } from './codecs.js';
import { readInstanceHeader } from './header.js';
import { applyModalityLut, valueStats, type ValueStats } from './modalityLut.js';
import { parseDicom } from './parse.js';
import { decodePixels } from './pixels.js';

export interface InspectResult {
  file: string;
  sopInstanceUid: string;
  sopClassUid: string;
  modality: string;
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Decoded stored values over all frames and samples, before the modality LUT. */
  pixel: ValueStats;
  /** After the modality LUT; grayscale images only. */
  modalityLut?: ValueStats;
  /** What was read differently from what the file declares (ParsedDicom.note). */
  note?: string;
}

/** Header values and decoded pixel statistics of one file; throws DicomError with the reason. */
export async function inspectFile(file: string): Promise<InspectResult> {
  await initCodecs();
  const parsed = parseDicom(fs.readFileSync(file), file);
  const h = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  const px = decodePixels(parsed.dataSet, h, file);
  const result: InspectResult = {
    file,
    sopInstanceUid: h.sopInstanceUid,
    sopClassUid: h.sopClassUid,
    modality: h.modality,
    transferSyntaxUid: h.transferSyntaxUid,
    rows: h.rows,
    columns: h.columns,
    frames: h.frames,
    samplesPerPixel: h.samplesPerPixel,
    photometricInterpretation: h.photometricInterpretation,
    bitsAllocated: h.bitsAllocated,
    bitsStored: h.bitsStored,
    pixelRepresentation: h.pixelRepresentation,
    rescaleSlope: h.rescaleSlope,
    rescaleIntercept: h.rescaleIntercept,
    pixel: valueStats(px.values),
    ...(parsed.note ? { note: parsed.note } : {}),
  };
  if (h.samplesPerPixel === 1) result.modalityLut = valueStats(applyModalityLut(px.values, h.rescaleSlope, h.rescaleIntercept));
  return result;
}
