import type { Contour, StructureSet } from '../dicom/rtstruct.js';
import { invert, voxelToLps, type VolumeGeometry } from './geometry.js';

/** How far (in slices) a contour may lie from a slice centre and still be that slice's: positions, not indices, decide. */
const SLICE_TOLERANCE = 0.25;

/**
 * Rasterises one ROI's closed planar contours onto a volume grid, as a 0/1 mask (i fastest).
 *
 * - Slice: each contour's points are mapped into voxel coordinates through the grid's geometry; the
 *   contour belongs to the slice whose centre lies within 0.25 slice spacings of it (its Referenced SOP
 *   Instance is not trusted: exports renumber slices). A contour off every slice, outside the volume,
 *   or not parallel to the slices is left out with a warning.
 * - Boundary: a voxel is inside when its centre is (scanline fill; a centre exactly on an edge counts
 *   when the edge is on its left, the usual top-left rule), so a contour that traces a mask's pixel
 *   borders gives back that mask.
 * - Holes: contours of one ROI on one slice combine by even-odd (each toggles what it encloses), so an
 *   inner contour is a hole whatever its orientation, as PS3.3 C.8.8.6.3 allows for inner contours.
 */
export function rasterizeRoi(contours: Contour[], g: VolumeGeometry, roiName = 'ROI'): { mask: Uint8Array; warnings: string[] } {
  const [nx, ny, nz] = g.size;
  const mask = new Uint8Array(nx * ny * nz);
  const warnings: string[] = [];
  const toVoxel = invert(voxelToLps(g));
  contours.forEach((c, n) => {
    const count = c.points.length / 3;
    const xs = new Float64Array(count);
    const ys = new Float64Array(count);
    let kMin = Number.POSITIVE_INFINITY;
    let kMax = Number.NEGATIVE_INFINITY;
    let kSum = 0;
    for (let p = 0; p < count; p++) {
      const [x, y, z] = [c.points[3 * p], c.points[3 * p + 1], c.points[3 * p + 2]];
      xs[p] = toVoxel[0][0] * x + toVoxel[0][1] * y + toVoxel[0][2] * z + toVoxel[0][3];
      ys[p] = toVoxel[1][0] * x + toVoxel[1][1] * y + toVoxel[1][2] * z + toVoxel[1][3];
      const k = toVoxel[2][0] * x + toVoxel[2][1] * y + toVoxel[2][2] * z + toVoxel[2][3];
      kMin = Math.min(kMin, k);
      kMax = Math.max(kMax, k);
      kSum += k;
    }
    const kMean = kSum / count;
    const slice = Math.round(kMean);
    if (kMax - kMin > 2 * SLICE_TOLERANCE) return warnings.push(`ROI "${roiName}": contour ${n + 1} spans ${(kMax - kMin).toFixed(2)} slices: it is not parallel to the image slices; left out`);
    if (Math.abs(kMean - slice) > SLICE_TOLERANCE) return warnings.push(`ROI "${roiName}": contour ${n + 1} lies between slices ${Math.floor(kMean)} and ${Math.ceil(kMean)} (at ${kMean.toFixed(2)}); left out`);
    if (slice < 0 || slice >= nz) return warnings.push(`ROI "${roiName}": contour ${n + 1} is at slice ${slice}, outside the series' 0..${nz - 1}; left out`);
    fillEvenOdd(mask.subarray(slice * nx * ny, (slice + 1) * nx * ny), nx, ny, xs, ys);
  });
  return { mask, warnings };
}

/** Toggles every pixel (centre i, j) inside the polygon (xs, ys) in a row-major nx x ny plane. */
function fillEvenOdd(plane: Uint8Array, nx: number, ny: number, xs: Float64Array, ys: Float64Array): void {
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  for (const y of ys) {
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  const crossings: number[] = [];
  for (let j = Math.max(0, Math.ceil(yMin)); j <= Math.min(ny - 1, Math.floor(yMax)); j++) {
    crossings.length = 0;
    for (let a = 0, b = xs.length - 1; a < xs.length; b = a++) {
      // Half-open in y, so a vertex on the scanline is counted once.
      if (ys[a] <= j !== ys[b] <= j) crossings.push(xs[a] + ((j - ys[a]) * (xs[b] - xs[a])) / (ys[b] - ys[a]));
    }
    crossings.sort((p, q) => p - q);
    for (let s = 0; s + 1 < crossings.length; s += 2) {
      const from = Math.max(0, Math.ceil(crossings[s]));
      const to = Math.min(nx, Math.ceil(crossings[s + 1]));
      for (let i = from; i < to; i++) plane[j * nx + i] ^= 1;
    }
  }
}

/** Lower case letters and digits only: "Liver_GTV " and "liver-gtv" are one name. */
export const normalizedRoiName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Paints a structure set onto a label volume: each ROI whose name `classOf` maps to a class value is
 * rasterised (rasterizeRoi) and painted in increasing class value, so a lesion drawn inside an organ
 * keeps its own class. ROIs that map to no class are listed in `unmatched`.
 */
export function structureSetToLabels(set: StructureSet, g: VolumeGeometry, classOf: (roiName: string) => number | null): { data: Uint8Array; warnings: string[]; unmatched: string[]; painted: Record<string, number> } {
  const data = new Uint8Array(g.size[0] * g.size[1] * g.size[2]);
  const warnings = [...set.warnings];
  const unmatched: string[] = [];
  const painted: Record<string, number> = {};
  const mapped: { roi: StructureSet['rois'][number]; value: number }[] = [];
  for (const roi of set.rois) {
    const value = classOf(roi.name);
    if (value === null) unmatched.push(roi.name);
    else mapped.push({ roi, value });
  }
  mapped.sort((a, b) => a.value - b.value);
  for (const { roi, value } of mapped) {
    const { mask, warnings: w } = rasterizeRoi(roi.contours, g, roi.name);
    warnings.push(...w);
    for (let v = 0; v < mask.length; v++) if (mask[v]) data[v] = value;
    painted[roi.name] = value;
  }
  return { data, warnings, unmatched, painted };
}
