import { squaredDistanceToSeeds } from './distanceTransform.js';
import { lesionDetection, type LesionDetection } from './lesionDetection.js';

/** Voxel metrics of one class on one case, with its lesion-wise detection (connected components). */
export interface ClassMetrics extends LesionDetection {
  /** 2|A∩B| / (|A| + |B|); 1 when both are empty, 0 when only one is. */
  dice: number;
  /** |A∩B| / |A∪B|; 1 when both are empty, 0 when only one is. */
  iou: number;
  /** TP / (TP + FN); null when the ground truth is empty (undefined, left out of means). */
  sensitivity: number | null;
  /** TN / (TN + FP); null when every voxel is ground truth. */
  specificity: number | null;
  /** TP / (TP + FP); null when the prediction is empty. */
  precision: number | null;
  /** 95th percentile Hausdorff distance in mm (max of both directed 95th percentiles, as MONAI); 0 when both are empty, null when only one is. */
  hd95: number | null;
  /** Average symmetric surface distance in mm (mean over both surfaces' distances); 0 when both empty, null when only one is. */
  assd: number | null;
  groundTruthVoxels: number;
  predictedVoxels: number;
}

export interface VolumeShape {
  size: readonly [number, number, number];
  spacing: readonly [number, number, number];
}

export class MetricShapeError extends Error {
  override name = 'MetricShapeError';
}

/** Voxels of a mask with a 6-neighbour outside the mask (or on the volume border). */
export function surface(mask: Uint8Array, size: readonly [number, number, number]): Uint8Array {
  const [nx, ny, nz] = size;
  const out = new Uint8Array(mask.length);
  const plane = nx * ny;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * j + plane * k;
        if (!mask[v]) continue;
        out[v] = i === 0 || i === nx - 1 || j === 0 || j === ny - 1 || k === 0 || k === nz - 1 || !mask[v - 1] || !mask[v + 1] || !mask[v - nx] || !mask[v + nx] || !mask[v - plane] || !mask[v + plane] ? 1 : 0;
      }
    }
  }
  return out;
}

/** numpy's default (linear) percentile. */
export function percentile(values: Float64Array | number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function directedSurfaceDistances(from: Uint8Array, toDistanceSq: Float64Array): number[] {
  const out: number[] = [];
  for (let v = 0; v < from.length; v++) if (from[v]) out.push(Math.sqrt(toDistanceSq[v]));
  return out;
}

/**
 * Overlap and surface-distance metrics of one class on one case: ground truth and prediction are label
 * volumes (i fastest), compared as masks of `label`. Distances are in mm using the voxel spacing,
 * between surface voxels (6-connectivity), as MONAI's compute_hausdorff_distance and
 * compute_average_surface_distance do. Lesion-wise detection (lesionDetection.ts) counts components.
 */
export function classMetrics(groundTruth: Uint8Array, prediction: Uint8Array, label: number, shape: VolumeShape): ClassMetrics {
  const n = shape.size[0] * shape.size[1] * shape.size[2];
  if (groundTruth.length !== n || prediction.length !== n) {
    throw new MetricShapeError(`ground truth has ${groundTruth.length} voxels, prediction ${prediction.length}, grid ${shape.size.join('x')} needs ${n}`);
  }
  const a = new Uint8Array(n);
  const b = new Uint8Array(n);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let v = 0; v < n; v++) {
    const g = groundTruth[v] === label ? 1 : 0;
    const p = prediction[v] === label ? 1 : 0;
    a[v] = g;
    b[v] = p;
    if (g && p) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  const tn = n - tp - fp - fn;
  const gt = tp + fn;
  const pred = tp + fp;
  const bothEmpty = gt === 0 && pred === 0;
  let hd95: number | null = bothEmpty ? 0 : null;
  let assd: number | null = bothEmpty ? 0 : null;
  if (gt > 0 && pred > 0) {
    const sa = surface(a, shape.size);
    const sb = surface(b, shape.size);
    const ab = directedSurfaceDistances(sa, squaredDistanceToSeeds(sb, shape.size, shape.spacing));
    const ba = directedSurfaceDistances(sb, squaredDistanceToSeeds(sa, shape.size, shape.spacing));
    hd95 = Math.max(percentile(ab, 95), percentile(ba, 95));
    let sum = 0;
    for (const d of ab) sum += d;
    for (const d of ba) sum += d;
    assd = sum / (ab.length + ba.length);
  }
  return {
    dice: bothEmpty ? 1 : (2 * tp) / (gt + pred),
    iou: bothEmpty ? 1 : tp / (tp + fp + fn),
    sensitivity: gt ? tp / gt : null,
    specificity: tn + fp ? tn / (tn + fp) : null,
    precision: pred ? tp / pred : null,
    hd95,
    assd,
    groundTruthVoxels: gt,
    predictedVoxels: pred,
    ...lesionDetection(groundTruth, prediction, label, shape.size),
  };
}

export interface Aggregate {
  mean: number | null;
  std: number | null;
  median: number | null;
  /** Cases with a defined value (nulls are left out, never counted as 0 or NaN). */
  n: number;
}

/** Mean, population standard deviation and median over cases, skipping undefined (null) values. */
export function aggregate(values: (number | null)[]): Aggregate {
  const defined = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (defined.length === 0) return { mean: null, std: null, median: null, n: 0 };
  const mean = defined.reduce((s, v) => s + v, 0) / defined.length;
  const std = Math.sqrt(defined.reduce((s, v) => s + (v - mean) ** 2, 0) / defined.length);
  return { mean, std, median: percentile(defined, 50), n: defined.length };
}
