import dicomParser from 'dicom-parser';
import type { Random } from '../../src/util/random.js';

/** Where an element's header lies in the file: its tag, VR and the offset and width of its length field. */
interface ElementSite {
  tag: string;
  headerOffset: number;
  lengthOffset: number;
  lengthBytes: 2 | 4;
  vrOffset: number | null;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** Explicit-VR element headers of the top-level data set (meta group and data set alike). */
export function elementSites(bytes: Uint8Array): ElementSite[] {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  } catch {
    return [];
  }
  const sites: ElementSite[] = [];
  for (const el of Object.values(ds.elements)) {
    const vr = el.vr ?? '';
    const long = LONG_VRS.has(vr);
    const headerOffset = el.dataOffset - (long ? 12 : 8);
    if (headerOffset < 0 || headerOffset + 8 > bytes.length) continue;
    sites.push({ tag: el.tag, headerOffset, lengthOffset: headerOffset + (long ? 8 : 6), lengthBytes: long ? 4 : 2, vrOffset: vr ? headerOffset + 4 : null });
  }
  return sites;
}

export type MutationKind = 'truncate' | 'bitflip' | 'all-ones-length' | 'wrong-vr' | 'dimensions' | 'length-beyond-file' | 'zero-length';

export const MUTATIONS: MutationKind[] = ['truncate', 'bitflip', 'all-ones-length', 'wrong-vr', 'dimensions', 'length-beyond-file', 'zero-length'];

function writeLength(out: Uint8Array, site: ElementSite, value: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (site.lengthBytes === 2) view.setUint16(site.lengthOffset, value & 0xffff, true);
  else view.setUint32(site.lengthOffset, value >>> 0, true);
}

/**
 * One seeded mutation of a valid file: a truncation, flipped bits, an element length set to all ones
 * or beyond the file or zero, a VR replaced by another pair of letters, or Rows/Columns/frames/bits
 * overwritten with other values. Element-aware mutations fall back to bit flips where no element
 * header can be found (deflated data sets).
 */
export function mutate(source: Uint8Array, kind: MutationKind, rng: Random): Uint8Array {
  const sites = kind === 'truncate' || kind === 'bitflip' ? [] : elementSites(source);
  if (kind === 'truncate') return source.slice(0, rng.int(0, source.length - 1));
  const out = source.slice();
  if (kind === 'bitflip' || !sites.length) {
    const flips = rng.int(1, 16);
    for (let i = 0; i < flips; i++) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
    return out;
  }
  const site = sites[rng.int(0, sites.length - 1)];
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (kind) {
    case 'all-ones-length':
      writeLength(out, site, 0xffffffff);
      break;
    case 'length-beyond-file':
      writeLength(out, site, out.length + rng.int(1, 1 << 20));
      break;
    case 'zero-length':
      writeLength(out, site, 0);
      break;
    case 'wrong-vr': {
      const vr = site.vrOffset ?? site.headerOffset + 4;
      out[vr] = 65 + rng.int(0, 25);
      out[vr + 1] = 65 + rng.int(0, 25);
      break;
    }
    case 'dimensions': {
      // Rows, Columns, BitsAllocated, BitsStored, SamplesPerPixel (US) or NumberOfFrames (IS).
      const targets = sites.filter((s) => ['x00280010', 'x00280011', 'x00280100', 'x00280101', 'x00280002', 'x00280008'].includes(s.tag));
      const t = targets.length ? targets[rng.int(0, targets.length - 1)] : site;
      const value = t.lengthOffset + t.lengthBytes;
      const choices = [0, 1, 3, 7, 31, 33, 65535, rng.int(0, 65535)];
      if (t.tag === 'x00280008') {
        const text = String([0, 2, 999, 1e9, 2 ** 31][rng.int(0, 4)]).padEnd(view.getUint16(t.lengthOffset, true), ' ');
        for (let i = 0; i < text.length && value + i < out.length; i++) out[value + i] = text.charCodeAt(i);
      } else if (value + 2 <= out.length) {
        view.setUint16(value, choices[rng.int(0, choices.length - 1)], true);
      }
      break;
    }
  }
  return out;
}

/** Explicit VR little endian bytes of one element. */
function element(group: number, elementNo: number, vr: string, value: Uint8Array, undefinedLength = false): Uint8Array {
  const long = LONG_VRS.has(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const view = new DataView(head.buffer);
  view.setUint16(0, group, true);
  view.setUint16(2, elementNo, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, undefinedLength ? 0xffffffff : value.length, true);
  else view.setUint16(6, value.length, true);
  const out = new Uint8Array(head.length + value.length);
  out.set(head);
  out.set(value, head.length);
  return out;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/**
 * A file whose data set opens with `depth` nested sequences of undefined length (each item holds the
 * next sequence), after the given file's meta header: 200 levels are legal but unusual, 100,000 would
 * overflow a recursive parser's stack.
 */
export function deepSequenceFile(source: Uint8Array, depth: number): Uint8Array {
  const metaEnd = 132 + 12 + new DataView(source.buffer, source.byteOffset).getUint32(140, true);
  const open = concat([element(0x0040, 0x0275, 'SQ', new Uint8Array(0), true), new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff])]);
  const close = new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const parts: Uint8Array[] = [source.subarray(0, metaEnd)];
  for (let i = 0; i < depth; i++) parts.push(open);
  for (let i = 0; i < depth; i++) parts.push(close);
  parts.push(source.subarray(metaEnd));
  return concat(parts);
}
