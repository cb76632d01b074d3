import type * as tf from '@tensorflow/tfjs';
import type { VolumeGeometry } from '../data/geometry.js';
import { loadPreprocessed, type PreprocessedCase } from '../data/preprocess.js';
import { aggregate, classMetrics, type Aggregate, type ClassMetrics } from '../metrics/segmentationMetrics.js';
import { segmentVolumeDetailed } from '../model/segmentVolume.js';
import type { CaseDetectionCurve } from '../metrics/froc.js';
import { caseDetectionCurve, faintRulesOf, thresholdsOf, type OperatingPoint } from './operatingPoint.js';

export interface CaseResult {
  seriesInstanceUid: string;
  patientId: string;
  /** Predicted class indices on the evaluation grid. */
  prediction: Uint8Array;
  geometry: VolumeGeometry;
  /** Index = class; class 0 (background) is null. */
  metrics: (ClassMetrics | null)[];
  /** With keepProbabilities: the ground truth and those classes' probabilities, on the evaluation grid. */
  truth?: Uint8Array;
  probabilities?: Map<number, Float32Array>;
  /** With detectionCurves: per class, the case's FROC counts by threshold (caseDetectionCurve: lesions localised, false-positive components). */
  detectionCurves?: Map<number, CaseDetectionCurve>;
}

export interface EvaluateOptions {
  inputSlices: number;
  classes: number;
  multiple: number;
  /** Test-time mirroring (see segmentVolume). */
  mirror: boolean;
  /** Evaluate on each series' own grid (predictions resampled back) instead of the plan's grid. */
  sourceGrid: boolean;
  /** Ground truth on the evaluation grid (default: the preprocessed label). */
  truth?: (c: PreprocessedCase) => Uint8Array;
  /** The run's operating point: per-class outline thresholds and faint lesions below them (labelsAtOperatingPoint). */
  operatingPoint?: OperatingPoint | null;
  /** Keep these classes' probabilities and the ground truth in the results (for calibration). */
  keepProbabilities?: readonly number[];
  /** Count these classes' detection curves (caseDetectionCurve, for a FROC) while their probabilities are at hand, without keeping them. */
  detectionCurves?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Segments each case and scores every foreground class against its ground truth (3D, in mm). Cases are
 * loaded one at a time.
 */
export function evaluateCases(model: tf.LayersModel, cases: PreprocessedCase[], o: EvaluateOptions): CaseResult[] {
  const thresholds = thresholdsOf(o.operatingPoint);
  const faintLesions = faintRulesOf(o.operatingPoint);
  const kept = [...new Set([...(o.keepProbabilities ?? []), ...(o.detectionCurves ?? [])])];
  return cases.map((c, i) => {
    const geometry = o.sourceGrid ? c.sourceGeometry : c.geometry;
    // With a truth of its own (each series' grid) the plan-grid label would be read and checksummed for nothing, every validated epoch.
    const { image, label } = loadPreprocessed(c, { label: !o.truth });
    const { labels: prediction, probabilities } = segmentVolumeDetailed(model, image, c.geometry.size, {
      inputSlices: o.inputSlices,
      classes: o.classes,
      multiple: o.multiple,
      mirror: o.mirror,
      outputSize: [geometry.size[0], geometry.size[1]],
      thresholds,
      faintLesions,
      keepProbabilities: kept,
    });
    const truth = o.truth ? o.truth(c) : label;
    if (!truth) throw new RangeError(`case ${c.seriesInstanceUid} has no label to evaluate against`);
    const metrics = [...Array(o.classes).keys()].map((cls) => (cls === 0 ? null : classMetrics(truth, prediction, cls, geometry)));
    const detectionCurves = o.detectionCurves?.length ? new Map(o.detectionCurves.map((cls) => [cls, caseDetectionCurve(truth, probabilities.get(cls) as Float32Array, cls, geometry.size)])) : undefined;
    o.onProgress?.(i + 1, cases.length);
    return {
      seriesInstanceUid: c.seriesInstanceUid,
      patientId: c.patientId,
      prediction,
      geometry,
      metrics,
      ...(o.keepProbabilities?.length ? { truth, probabilities: new Map(o.keepProbabilities.map((cls) => [cls, probabilities.get(cls) as Float32Array])) } : {}),
      ...(detectionCurves ? { detectionCurves } : {}),
    };
  });
}

export const METRIC_NAMES = ['dice', 'iou', 'sensitivity', 'specificity', 'precision', 'hd95', 'assd', 'detectionSensitivity', 'detectionF1'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Per foreground class: mean, std and median over cases of each metric (undefined values left out). */
export function summarize(results: CaseResult[], classNames: string[]): Record<string, Record<MetricName, Aggregate>> {
  const out: Record<string, Record<MetricName, Aggregate>> = {};
  for (let cls = 1; cls < classNames.length; cls++) {
    out[classNames[cls]] = Object.fromEntries(METRIC_NAMES.map((m) => [m, aggregate(results.map((r) => r.metrics[cls]?.[m] ?? null))])) as Record<MetricName, Aggregate>;
  }
  return out;
}

/** Mean foreground Dice: the mean over classes of each class's mean Dice over cases (early stopping's signal). */
export function meanForegroundDice(summary: Record<string, Record<MetricName, Aggregate>>): number | null {
  const means = Object.values(summary)
    .map((s) => s.dice.mean)
    .filter((v): v is number => v !== null);
  return means.length ? means.reduce((a, b) => a + b, 0) / means.length : null;
}
