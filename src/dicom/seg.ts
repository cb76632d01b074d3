import { DicomError } from './errors.js';
import type { InstanceHeader } from './header.js';
import type { DataSet } from './parse.js';
import { decodePixels } from './pixels.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';

export interface SegFrame {
  segmentNumber: number;
  /** SOP Instance UID of the source image this frame was derived from, when given. */
  referencedSopInstanceUid: string | null;
  position: [number, number, number] | null;
  /** Row-major mask of the frame: 1 where the segment is present. */
  mask: Uint8Array;
}

export interface Segmentation {
  type: 'BINARY' | 'FRACTIONAL';
  referencedSeriesInstanceUid: string | null;
  segments: { number: number; label: string }[];
  rows: number;
  columns: number;
  frames: SegFrame[];
}

const item = (ds: DataSet | undefined, tag: string): DataSet | undefined => ds?.elements[tag]?.items?.[0]?.dataSet;

/**
 * Reads a DICOM Segmentation (PS3.3 A.51): segments from (0062,0002), each frame's segment number,
 * source image and plane position from the per-frame functional groups. Fractional frames become masks
 * at half the MaximumFractionalValue, the usual threshold for probability maps.
 */
export function readSegmentation(ds: DataSet, h: InstanceHeader, source: string): Segmentation {
  if (h.sopClassUid !== SEGMENTATION_STORAGE) throw new DicomError(`${source}: not a Segmentation object (SOP class ${h.sopClassUid})`, 'inconsistent');
  const type = ds.string('x00620001')?.trim();
  if (type !== 'BINARY' && type !== 'FRACTIONAL') throw new DicomError(`${source}: SegmentationType (0062,0001) is "${type ?? ''}", expected BINARY or FRACTIONAL`, 'malformed');
  const segments = (ds.elements.x00620002?.items ?? []).map((it) => ({
    number: it.dataSet?.uint16('x00620004') ?? 0,
    label: it.dataSet?.string('x00620005')?.trim() ?? '',
  }));
  if (segments.length === 0) throw new DicomError(`${source}: Segment Sequence (0062,0002) is empty`, 'malformed');
  for (const s of segments) {
    if (s.number < 1 || s.number > 255) throw new DicomError(`${source}: segment number ${s.number} is outside 1..255`, 'malformed');
  }
  const perFrame = ds.elements.x52009230?.items ?? [];
  if (perFrame.length !== h.frames) throw new DicomError(`${source}: ${h.frames} frames but ${perFrame.length} per-frame functional groups`, 'malformed');
  const decoded = decodePixels(ds, h, source);
  const pixels = h.rows * h.columns;
  const max = type === 'FRACTIONAL' ? (ds.uint16('x0062000e') ?? 255) : 1;
  const frames = perFrame.map((fg, f) => {
    const segmentNumber = item(fg.dataSet, 'x0062000a')?.uint16('x0062000b');
    if (!segmentNumber || !segments.some((s) => s.number === segmentNumber)) {
      throw new DicomError(`${source}: frame ${f + 1} references segment ${segmentNumber ?? 'none'}, not in the Segment Sequence`, 'malformed');
    }
    const sop = item(item(fg.dataSet, 'x00089124'), 'x00082112')?.string('x00081155')?.trim() ?? null;
    const ipp = item(fg.dataSet, 'x00209113')?.string('x00200032')?.split('\\').map(Number);
    const mask = new Uint8Array(pixels);
    const values = decoded.values.subarray(f * pixels, (f + 1) * pixels);
    for (let i = 0; i < pixels; i++) mask[i] = values[i] * 2 >= max && values[i] > 0 ? 1 : 0;
    return { segmentNumber, referencedSopInstanceUid: sop, position: ipp && ipp.length === 3 && ipp.every(Number.isFinite) ? (ipp as [number, number, number]) : null, mask };
  });
  const referencedSeries = item(ds, 'x00081115')?.string('x0020000e')?.trim() ?? null;
  return { type, referencedSeriesInstanceUid: referencedSeries, segments, rows: h.rows, columns: h.columns, frames };
}
