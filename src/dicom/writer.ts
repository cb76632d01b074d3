import { EXPLICIT_VR_LITTLE_ENDIAN } from './transferSyntax.js';

/**
 * Minimal DICOM Part 10 writer (explicit VR little endian), used to generate the synthetic demo cohort and
 * test fixtures. dcmtk converts its output into the compressed transfer syntaxes; the reader is checked
 * against dcmtk and pydicom rather than against this writer alone.
 */

/** A sequence (SQ) value is its items, each a list of elements. */
export type DicomValue = string | number | number[] | Uint8Array | Int16Array | Uint16Array | DicomElement[][];

export interface DicomElement {
  /** Tag as 0xGGGGEEEE. */
  tag: number;
  vr: string;
  value: DicomValue;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UT', 'UC', 'UR', 'UN']);

/** Items with explicit lengths (FFFE,E000), elements sorted by tag as PS3.5 requires. */
function encodeItems(items: DicomElement[][]): Buffer {
  return Buffer.concat(
    items.map((elements) => {
      const body = Buffer.concat([...elements].sort((a, b) => a.tag - b.tag).map(encodeElement));
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0xfffe, 0);
      head.writeUInt16LE(0xe000, 2);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    }),
  );
}

function encodeValue(el: DicomElement): Buffer {
  const { vr, value } = el;
  if (vr === 'SQ') {
    if (!Array.isArray(value) || !value.every(Array.isArray)) throw new TypeError(`SQ element ${el.tag.toString(16)} needs a list of items`);
    return encodeItems(value as DicomElement[][]);
  }
  if (value instanceof Uint8Array || value instanceof Int16Array || value instanceof Uint16Array) {
    const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return buf.length % 2 === 0 ? buf : Buffer.concat([buf, Buffer.alloc(1)]);
  }
  if (vr === 'US' || vr === 'SS' || vr === 'UL' || vr === 'SL' || vr === 'FL' || vr === 'FD') {
    const values = Array.isArray(value) ? (value as number[]) : [Number(value)];
    const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
    const buf = Buffer.alloc(values.length * size);
    values.forEach((v, i) => {
      const o = i * size;
      if (vr === 'US') buf.writeUInt16LE(v, o);
      else if (vr === 'SS') buf.writeInt16LE(v, o);
      else if (vr === 'UL') buf.writeUInt32LE(v, o);
      else if (vr === 'SL') buf.writeInt32LE(v, o);
      else if (vr === 'FL') buf.writeFloatLE(v, o);
      else buf.writeDoubleLE(v, o);
    });
    return buf;
  }
  const text = Array.isArray(value) ? (value as number[]).map((v) => formatDs(v)).join('\\') : typeof value === 'number' ? formatDs(value) : value;
  // UTF-8: the same bytes as ASCII for plain text; a data set with other text declares ISO_IR 192.
  const buf = Buffer.from(text, 'utf8');
  if (buf.length % 2 === 0) return buf;
  return Buffer.concat([buf, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
}

/** Decimal String values are limited to 16 characters. */
function formatDs(v: number): string {
  if (Number.isInteger(v)) return String(v);
  let s = String(Number(v.toPrecision(12)));
  if (s.length > 16) s = v.toExponential(8);
  return s;
}

function encodeElement(el: DicomElement): Buffer {
  const value = encodeValue(el);
  const group = el.tag >>> 16;
  const element = el.tag & 0xffff;
  const long = LONG_VRS.has(el.vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.write(el.vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** Writes a Part 10 file: 128-byte preamble, "DICM", group 0002 meta header, then the data set. */
export function writeDicomPart10(elements: DicomElement[], sopClassUid: string, sopInstanceUid: string): Buffer {
  const meta: DicomElement[] = [
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: EXPLICIT_VR_LITTLE_ENDIAN },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1387' },
    { tag: 0x00020013, vr: 'SH', value: 'SEGFUSION' },
  ];
  const metaBody = Buffer.concat(meta.map(encodeElement));
  const groupLength = encodeElement({ tag: 0x00020000, vr: 'UL', value: metaBody.length });
  const body = Buffer.concat([...elements].sort((a, b) => a.tag - b.tag).map(encodeElement));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, metaBody, body]);
}
