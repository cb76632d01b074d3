import fs from 'node:fs';
import { DicomError } from '../dicom/errors.js';
import { readInstanceHeader, type InstanceHeader } from '../dicom/header.js';
import { parseDicom, type ParsedDicom } from '../dicom/parse.js';
import { noPixelData } from '../dicom/pixels.js';
import { RT_STRUCTURE_SET_STORAGE } from '../dicom/rtstruct.js';
import { transferSyntaxInfo } from '../dicom/transferSyntax.js';
import { quoteValue, uidProblem } from '../dicom/uid.js';
import { readPrefix } from '../util/files.js';

/** Header phase reads this much of each file first: enough for all but unusually large headers. */
const HEADER_CHUNK = 16 * 1024;
/** Reused for every header read on this thread: the parsed header keeps no reference to it. */
const prefix = Buffer.allocUnsafe(HEADER_CHUNK);

/**
 * Parses the header of one file up to its Pixel Data: from the first HEADER_CHUNK bytes when they hold
 * it, else from the whole file (large headers, deflated data sets). Pixel data are checked when the
 * volume is built.
 */
export function readHeader(file: string, size: number): InstanceHeader {
  let parsed: ParsedDicom | undefined;
  if (size > HEADER_CHUNK) {
    try {
      parsed = parseDicom(readPrefix(file, HEADER_CHUNK, prefix), file, { untilPixelData: true });
      if (!parsed.dataSet.elements.x7fe00010) parsed = undefined;
    } catch {
      parsed = undefined;
    }
  }
  parsed ??= parseDicom(fs.readFileSync(file), file, { untilPixelData: true });
  const header = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  if (!header.seriesInstanceUid) throw new DicomError(`${file}: no SeriesInstanceUID (0020,000E)`, 'malformed');
  if (!header.sopInstanceUid) throw new DicomError(`${file}: no SOPInstanceUID (0008,0018)`, 'malformed');
  // UIDs key the catalogue and the label matching: a value that is not a UID is refused here, once.
  for (const [name, tag, value] of [
    ['SeriesInstanceUID', '0020,000E', header.seriesInstanceUid],
    ['SOPInstanceUID', '0008,0018', header.sopInstanceUid],
    ['StudyInstanceUID', '0020,000D', header.studyInstanceUid],
  ] as const) {
    const problem = value === '' && name === 'StudyInstanceUID' ? null : uidProblem(value);
    if (problem) throw new DicomError(`${file}: ${name} (${tag}) ${quoteValue(value)} is not a valid UID: it ${problem}`, 'malformed');
  }
  if (!transferSyntaxInfo(header.transferSyntaxUid)) {
    throw new DicomError(`${file}: unsupported transfer syntax ${header.transferSyntaxUid}`, 'unsupported-syntax');
  }
  // RT Structure Sets are labels made of contours: they have no pixel data and are read in the labels phase.
  if (!header.hasPixelData && header.sopClassUid !== RT_STRUCTURE_SET_STORAGE) throw noPixelData(parsed.dataSet, file);
  return header;
}
