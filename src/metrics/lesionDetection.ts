import { connectedComponents } from './connectedComponents.js';

/** Lesion-wise (object-level) detection of one class on one case. */
export interface LesionDetection {
  /** Ground-truth lesions: connected components (26-connectivity) of the class in the ground truth. */
  lesions: number;
  /** Lesions that overlap the predicted class by at least one voxel. */
  lesionsFound: number;
  /** Predicted components (26-connectivity) that overlap no ground-truth voxel of the class. */
  falsePositiveComponents: number;
  /** lesionsFound / lesions; null without lesions. */
  detectionSensitivity: number | null;
  /** 2 TP / (2 TP + FP + FN) with TP = lesions found, FN = lesions missed, FP = false-positive components; null when there is neither a lesion nor a predicted component. */
  detectionF1: number | null;
}

/**
 * Lesion-wise detection of class `label`: ground truth and prediction are label volumes (i fastest)
 * on one grid. Overlap rule: a lesion is found when any of its voxels is predicted as the class; a
 * predicted component is a false positive when none of its voxels is the class in the ground truth
 * (the "any overlap" criterion, as in lesion-detection challenges scored per connected component).
 * One predicted component covering two lesions finds both; one lesion split into two predicted
 * components counts once as found and neither piece is a false positive.
 */
export function lesionDetection(groundTruth: Uint8Array, prediction: Uint8Array, label: number, size: readonly [number, number, number]): LesionDetection {
  const g = new Uint8Array(groundTruth.length);
  const p = new Uint8Array(prediction.length);
  for (let v = 0; v < g.length; v++) {
    g[v] = groundTruth[v] === label ? 1 : 0;
    p[v] = prediction[v] === label ? 1 : 0;
  }
  const truth = connectedComponents(g, size);
  const predicted = connectedComponents(p, size);
  const found = new Uint8Array(truth.count + 1);
  const matched = new Uint8Array(predicted.count + 1);
  for (let v = 0; v < g.length; v++) {
    if (g[v] && p[v]) {
      found[truth.labels[v]] = 1;
      matched[predicted.labels[v]] = 1;
    }
  }
  let lesionsFound = 0;
  for (let c = 1; c <= truth.count; c++) lesionsFound += found[c];
  let falsePositiveComponents = 0;
  for (let c = 1; c <= predicted.count; c++) falsePositiveComponents += matched[c] ? 0 : 1;
  const missed = truth.count - lesionsFound;
  const denominator = 2 * lesionsFound + falsePositiveComponents + missed;
  return {
    lesions: truth.count,
    lesionsFound,
    falsePositiveComponents,
    detectionSensitivity: truth.count ? lesionsFound / truth.count : null,
    detectionF1: denominator ? (2 * lesionsFound) / denominator : null,
  };
}

/** One connected component, located for a viewer: voxel count, slice range and centroid (voxel indices). */
export interface ComponentLocation {
  voxels: number;
  slices: [number, number];
  centroid: [number, number, number];
}

/**
 * Where lesionDetection's misses and false positives are: the ground-truth components of class
 * `label` that no predicted voxel of the class touches, and the predicted components that touch no
 * ground-truth voxel of it (same 26-connectivity and any-overlap rule), each located.
 */
export function detectionComponents(groundTruth: Uint8Array, prediction: Uint8Array, label: number, size: readonly [number, number, number]): { missed: ComponentLocation[]; falsePositives: ComponentLocation[] } {
  const plane = size[0] * size[1];
  const locate = (own: Uint8Array, other: Uint8Array): ComponentLocation[] => {
    const mask = new Uint8Array(own.length);
    for (let v = 0; v < own.length; v++) mask[v] = own[v] === label ? 1 : 0;
    const { labels, count } = connectedComponents(mask, size);
    const touched = new Uint8Array(count + 1);
    const voxels = new Float64Array(count + 1);
    const sum = Array.from({ length: count + 1 }, () => [0, 0, 0]);
    const range = Array.from({ length: count + 1 }, () => [Number.POSITIVE_INFINITY, -1]);
    for (let v = 0; v < labels.length; v++) {
      const c = labels[v];
      if (!c) continue;
      if (other[v] === label) touched[c] = 1;
      const k = Math.floor(v / plane);
      const j = Math.floor((v % plane) / size[0]);
      voxels[c]++;
      sum[c][0] += v % size[0];
      sum[c][1] += j;
      sum[c][2] += k;
      range[c][0] = Math.min(range[c][0], k);
      range[c][1] = Math.max(range[c][1], k);
    }
    const out: ComponentLocation[] = [];
    for (let c = 1; c <= count; c++) {
      if (touched[c]) continue;
      out.push({ voxels: voxels[c], slices: [range[c][0], range[c][1]], centroid: sum[c].map((x) => Math.round(x / voxels[c])) as [number, number, number] });
    }
    return out;
  };
  return { missed: locate(groundTruth, prediction), falsePositives: locate(prediction, groundTruth) };
}

/** Lesion-wise detection pooled over cases: every lesion of every case counts once. */
export interface LesionTotals {
  cases: number;
  lesions: number;
  lesionsFound: number;
  lesionsMissed: number;
  falsePositiveComponents: number;
  /** Σ found / Σ lesions; null without lesions. */
  detectionSensitivity: number | null;
  /** 2 Σ TP / (2 Σ TP + Σ FP + Σ FN); null when there is neither a lesion nor a predicted component. */
  detectionF1: number | null;
}

/** Pools per-case detections (the "9 of 15 lesions found" of a test split). */
export function poolDetections(rows: Pick<LesionDetection, 'lesions' | 'lesionsFound' | 'falsePositiveComponents'>[]): LesionTotals {
  const lesions = rows.reduce((s, r) => s + r.lesions, 0);
  const lesionsFound = rows.reduce((s, r) => s + r.lesionsFound, 0);
  const falsePositiveComponents = rows.reduce((s, r) => s + r.falsePositiveComponents, 0);
  const lesionsMissed = lesions - lesionsFound;
  const denominator = 2 * lesionsFound + falsePositiveComponents + lesionsMissed;
  return {
    cases: rows.length,
    lesions,
    lesionsFound,
    lesionsMissed,
    falsePositiveComponents,
    detectionSensitivity: lesions ? lesionsFound / lesions : null,
    detectionF1: denominator ? (2 * lesionsFound) / denominator : null,
  };
}
