import { DicomError } from './errors.js';
import type { DataSet } from './parse.js';

export const RT_STRUCTURE_SET_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3';

/** One closed planar contour: points in patient coordinates (LPS, mm), x0 y0 z0 x1 y1 z1 ... */
export interface Contour {
  points: Float64Array;
  /** SOP Instance UID of the image it was drawn on, when given (informative: slices are matched by position). */
  referencedSopInstanceUid: string | null;
}

export interface RoiContours {
  number: number;
  name: string;
  contours: Contour[];
}

export interface StructureSet {
  referencedSeriesInstanceUid: string | null;
  frameOfReferenceUid: string | null;
  rois: RoiContours[];
  /** Contours left out (points, open contours), with why. */
  warnings: string[];
}

const items = (ds: DataSet | undefined, tag: string): DataSet[] => (ds?.elements[tag]?.items ?? []).map((i) => i.dataSet).filter((d): d is DataSet => d !== undefined);

/**
 * Reads an RT Structure Set (PS3.3 A.19): ROI numbers and names from the Structure Set ROI Sequence,
 * their contours from the ROI Contour Sequence, the referenced series from the Referenced Frame of
 * Reference Sequence. Only CLOSED_PLANAR contours describe areas; POINT and OPEN_PLANAR ones are left
 * out with a warning. A contour whose point count disagrees with its Contour Data is rejected.
 */
export function readStructureSet(ds: DataSet, source: string): StructureSet {
  const names = new Map<number, string>();
  for (const roi of items(ds, 'x30060020')) names.set(Number(roi.string('x30060022')), roi.string('x30060026')?.trim() ?? '');
  if (names.size === 0) throw new DicomError(`${source}: Structure Set ROI Sequence (3006,0020) is empty`, 'malformed');
  const warnings: string[] = [];
  const rois: RoiContours[] = [];
  for (const rc of items(ds, 'x30060039')) {
    const number = Number(rc.string('x30060084'));
    const name = names.get(number);
    if (name === undefined) {
      warnings.push(`ROI Contour Sequence references ROI ${number}, which the Structure Set ROI Sequence does not define; left out`);
      continue;
    }
    const contours: Contour[] = [];
    for (const [n, c] of items(rc, 'x30060040').entries()) {
      const type = c.string('x30060042')?.trim();
      if (type !== 'CLOSED_PLANAR') {
        warnings.push(`ROI "${name}": contour ${n + 1} is ${type ?? 'untyped'}, not CLOSED_PLANAR; left out`);
        continue;
      }
      const raw = c.string('x30060050') ?? '';
      const values = raw.split('\\').map(Number);
      const declared = Number(c.string('x30060046'));
      if (values.length % 3 !== 0 || !values.every(Number.isFinite) || (Number.isInteger(declared) && declared * 3 !== values.length)) {
        throw new DicomError(`${source}: ROI "${name}" contour ${n + 1}: Contour Data (3006,0050) holds ${values.length} numbers, NumberOfContourPoints (3006,0046) says ${declared} points`, 'inconsistent');
      }
      if (values.length < 9) {
        warnings.push(`ROI "${name}": contour ${n + 1} has ${values.length / 3} point(s), fewer than a polygon's 3; left out`);
        continue;
      }
      const image = items(c, 'x30060016')[0];
      contours.push({ points: Float64Array.from(values), referencedSopInstanceUid: image?.string('x00081155')?.trim() ?? null });
    }
    rois.push({ number, name, contours });
  }
  const frame = items(ds, 'x30060010')[0];
  const series = items(items(frame, 'x30060012')[0], 'x30060014')[0];
  return { referencedSeriesInstanceUid: series?.string('x0020000e')?.trim() ?? null, frameOfReferenceUid: frame?.string('x00200052')?.trim() ?? null, rois, warnings };
}
