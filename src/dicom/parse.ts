import zlib from 'node:zlib';
import dicomParser from 'dicom-parser';
import { DicomError, describeThrown } from './errors.js';
import { inflateLimit } from './limits.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxInfo } from './transferSyntax.js';

export type DataSet = dicomParser.DataSet;

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUid: string;
  /** Whether the file had the 128-byte preamble, "DICM" and a group 0002 meta header. */
  part10: boolean;
  /** What was read differently from what the file declares (a data set in the other VR encoding), else absent. */
  note?: string;
}

const PIXEL_DATA = 'x7fe00010';
const DEFLATED = '1.2.840.10008.1.2.1.99';

const VR_CODES = new Set('AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/**
 * Decides by content whether bytes are DICOM: a Part 10 file ("DICM" after the preamble), or a bare data
 * set as older modalities and some PACS exports write, recognised by a plausible first element.
 * Returns the transfer syntax to assume for a bare data set.
 */
export function sniffDicom(bytes: Uint8Array): { part10: true } | { part10: false; transferSyntaxUid: string } | null {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    return { part10: true };
  }
  if (bytes.length < 8) return null;
  const group = bytes[0] | (bytes[1] << 8);
  // Bare data sets start with a low group: 0x0002 (meta), 0x0008 (identification) and rarely 0x0000..0x0018.
  if (group === 0 || group > 0x0018 || group % 2 !== 0) return null;
  const vr = String.fromCharCode(bytes[4], bytes[5]);
  if (VR_CODES.has(vr)) return { part10: false, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN };
  const length = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (length >= 0 && length < bytes.length) return { part10: false, transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN };
  return null;
}

/** First element (depth-first, into sequence items) whose explicit VR is not a DICOM VR. */
function findInvalidVr(ds: DataSet, from: number): { tag: string; vr: string } | null {
  for (const el of Object.values(ds.elements)) {
    // Item delimiters carry no VR; for deflated files dicom-parser also lists what it read from the
    // preamble before the data set (offsets below `from`), which is not part of the file's data.
    if (el.dataOffset < from || !el.vr || el.tag.startsWith('xfffe')) continue;
    if (!VR_CODES.has(el.vr)) {
      const t = el.tag.slice(1).toUpperCase();
      return { tag: `(${t.slice(0, 4)},${t.slice(4)})`, vr: el.vr };
    }
    for (const it of el.items ?? []) {
      const nested = it.dataSet ? findInvalidVr(it.dataSet, from) : null;
      if (nested) return nested;
    }
  }
  return null;
}

/**
 * dicom-parser re-reads the whole buffer from offset 0 after inflating, so the inflater returns the
 * untouched preamble and meta header followed by the inflated data set (as its own Node path does).
 */
function inflate(byteArray: Uint8Array, position: number): Uint8Array {
  const compressed = byteArray.subarray(position);
  const limit = inflateLimit(compressed.length);
  let inflated: Buffer;
  try {
    inflated = zlib.inflateRawSync(compressed, { maxOutputLength: limit });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DicomError(`deflated data set of ${compressed.length} bytes inflates beyond ${limit} bytes (the limit for its size); refused as a decompression bomb`, 'malformed');
    }
    throw new DicomError(`deflated data set cannot be inflated: ${(err as Error).message}`, 'malformed');
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/** Offset where the data set proper starts: after the preamble, "DICM" and the group 0002 meta header. */
function dataSetStart(ds: DataSet): number {
  const groupLength = ds.elements.x00020000;
  return groupLength ? groupLength.dataOffset + 4 + (ds.uint32('x00020000') ?? 0) : 0;
}

type MetaHeader = DataSet & { position: number };

/**
 * A Part 10 file whose data set is not in the VR encoding its meta header's transfer syntax declares:
 * Explicit VR bytes under Implicit VR Little Endian, or (as in a public corpus's RGB JPEG file written by
 * an old toolkit) an Implicit VR data set under an encapsulated syntax, which is Explicit VR by
 * definition. Read as declared, every length is taken from the wrong bytes and the parser runs past
 * the end of the file. Told apart as pydicom does, by whether the first element's bytes 4-5 are a VR
 * code; for Implicit VR, its 4-byte length must also fit in the file. Deflated and big-endian data sets
 * are left to the declared reading.
 */
function contradictedEncoding(bytes: Uint8Array): { meta: MetaHeader; implicit: boolean } | null {
  const meta = dicomParser.readPart10Header(bytes) as MetaHeader;
  const ts = meta.string('x00020010')?.trim() ?? '';
  const info = transferSyntaxInfo(ts);
  const at = meta.position;
  if (!info || info.bigEndian || ts === DEFLATED || at + 8 > bytes.length) return null;
  const declaredImplicit = ts === IMPLICIT_VR_LITTLE_ENDIAN;
  const looksExplicit = VR_CODES.has(String.fromCharCode(bytes[at + 4], bytes[at + 5]));
  if (declaredImplicit === !looksExplicit) return null;
  if (!looksExplicit) {
    const length = (bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)) >>> 0;
    if (length !== 0xffffffff && at + 8 + length > bytes.length) return null;
  }
  return { meta, implicit: !looksExplicit };
}

/** dicom-parser's DataSet class, which its typings declare as an interface only. */
const DataSetClass = (dicomParser as unknown as { DataSet: new (parser: dicomParser.ByteArrayParser, bytes: Uint8Array, elements: Record<string, dicomParser.Element>) => DataSet }).DataSet;

/**
 * The data set after `meta` read in the given encoding, with the meta elements merged in as
 * dicom-parser's own parseDicom does. Implicit VR knows no VR for Pixel Data, so the element is read
 * up to its header and encapsulated fragments are then found as the explicit reader finds them.
 */
function parseBodyAs(bytes: Uint8Array, meta: MetaHeader, implicit: boolean, untilPixelData: boolean): DataSet {
  const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, bytes, meta.position);
  const dataSet = new DataSetClass(stream.byteArrayParser, bytes, {});
  dataSet.warnings = stream.warnings;
  if (implicit) {
    dicomParser.parseDicomDataSetImplicit(dataSet, stream, bytes.length, { untilTag: PIXEL_DATA });
    const pixels = dataSet.elements[PIXEL_DATA];
    if (pixels?.hadUndefinedLength && !untilPixelData) dicomParser.findEndOfEncapsulatedElement(stream, pixels, dataSet.warnings);
  } else {
    dicomParser.parseDicomDataSetExplicit(dataSet, stream, bytes.length, untilPixelData ? { untilTag: PIXEL_DATA } : undefined);
  }
  Object.assign(dataSet.elements, meta.elements);
  return dataSet;
}

/**
 * Parses the data set with dicom-parser; `untilPixelData` stops at the Pixel Data element header, so a
 * header read needs only the bytes before the pixels. Errors carry the reason: not DICOM, truncated, or malformed
 * (bad VR or length), never dicom-parser's raw exception object.
 */
export function parseDicom(bytes: Uint8Array, source: string, options: { untilPixelData?: boolean } = {}): ParsedDicom {
  const sniff = sniffDicom(bytes);
  if (!sniff) throw new DicomError(`${source}: not a DICOM file (no "DICM" prefix and no recognisable data set)`, 'not-dicom');
  let dataSet: DataSet;
  let note: string | undefined;
  try {
    const contradicted = sniff.part10 ? contradictedEncoding(bytes) : null;
    if (contradicted) {
      dataSet = parseBodyAs(bytes, contradicted.meta, contradicted.implicit, options.untilPixelData === true);
      const declared = transferSyntaxInfo(contradicted.meta.string('x00020010')?.trim() ?? '')?.name;
      note = `the data set is encoded in ${contradicted.implicit ? 'Implicit' : 'Explicit'} VR although the meta header's transfer syntax (${declared}) says ${contradicted.implicit ? 'Explicit' : 'Implicit'} VR; read as ${contradicted.implicit ? 'Implicit' : 'Explicit'} VR, as pydicom does`;
    } else {
      dataSet = dicomParser.parseDicom(bytes, {
        ...(sniff.part10 ? {} : { TransferSyntaxUID: sniff.transferSyntaxUid }),
        ...(options.untilPixelData ? { untilTag: PIXEL_DATA } : {}),
        inflater: inflate as unknown as (arr: Uint8Array, position: number) => void,
      });
    }
  } catch (err) {
    if (err instanceof DicomError) throw new DicomError(`${source}: ${err.message}`, err.code);
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new DicomError(`${source}: malformed DICOM data (sequences nested too deeply to parse)`, 'malformed');
    }
    const text = describeThrown(err);
    // "position cannot be greater than or equal to byteArray length" and an invalid "maxPosition" are
    // dicom-parser's words for a sequence or item whose length or delimiter lies beyond the file.
    const truncated = /buffer overread|end of buffer|beyond|past the end|overrun|incomplete|attempt to read past|'byteArray' length|'maxPosition'/i.test(text);
    // dicom-parser's messages name its own functions ("dicomParser.readFixedString: ..."): keep what it found.
    const found = text.replace(/^[\w.:]+?: /, '');
    throw new DicomError(truncated ? `${source}: truncated DICOM data: an element runs past the end of the ${bytes.length}-byte file (${found})` : `${source}: malformed DICOM data (${found})`, truncated ? 'truncated' : 'malformed');
  }
  const badVr = findInvalidVr(dataSet, sniff.part10 ? dataSetStart(dataSet) : 0);
  if (badVr) {
    throw new DicomError(`${source}: malformed DICOM data (element ${badVr.tag} has invalid VR "${badVr.vr}", so its length cannot be trusted)`, 'malformed');
  }
  const transferSyntaxUid = (sniff.part10 ? dataSet.string('x00020010') : sniff.transferSyntaxUid)?.trim() ?? '';
  if (!transferSyntaxUid) throw new DicomError(`${source}: meta header has no TransferSyntaxUID (0002,0010)`, 'malformed');
  return { dataSet, transferSyntaxUid, part10: sniff.part10, ...(note ? { note } : {}) };
}
