import type * as tf from '@tensorflow/tfjs';
import type { PreprocessedCase } from '../data/preprocess.js';
import { classMetrics } from '../metrics/segmentationMetrics.js';
import { labelsAt } from '../model/segmentVolume.js';
import { evaluateCases, summarize, type CaseResult, type EvaluateOptions } from './evaluate.js';
import { calibrateThreshold, thresholdsOf, type OperatingPoint, type TargetBasis } from './operatingPoint.js';

/** Per target class, the threshold calibrated on the results' kept probabilities of that class. */
export function calibrateOperatingPoint(results: CaseResult[], targets: Record<string, number>, o: { minPrecision: number; basis: TargetBasis }): OperatingPoint {
  return Object.fromEntries(
    Object.entries(targets).map(([c, target]) => [
      c,
      calibrateThreshold(
        results.map((r) => ({ truth: r.truth as Uint8Array, probability: r.probabilities?.get(Number(c)) as Float32Array, size: r.geometry.size })),
        Number(c),
        target,
        o.minPrecision,
        o.basis,
      ),
    ]),
  );
}

export interface EpochValidation {
  summary: ReturnType<typeof summarize>;
  /** The thresholds the summary was read at (calibrated on these cases), or null: arg-max. */
  operatingPoint: OperatingPoint | null;
}

/**
 * One epoch's validation on the plan's grid. With sensitivity targets and `atOperatingPoint`, the
 * epoch is judged as the final evaluation will use it: thresholds are calibrated on these cases for the
 * targets (calibrateThreshold, with the precision floor) and the metrics are read at them, by
 * re-thresholding the target classes' kept probabilities (one forward pass per slice, as without).
 * Otherwise arg-max.
 * Why: at the arg-max, only an over-segmenting epoch meets a 0.9 voxel-sensitivity target on small
 * lesions, and selection then preferred it to a later, sharper one whose threshold meets the target
 * at higher precision (docs/loss-fusion.md, "Diagnosis").
 */
export function validateEpoch(
  model: tf.LayersModel,
  cases: PreprocessedCase[],
  o: Omit<EvaluateOptions, 'sourceGrid' | 'keepProbabilities' | 'thresholds'> & { classNames: string[]; targets: Record<string, number>; atOperatingPoint: boolean; minPrecision: number; basis: TargetBasis },
): EpochValidation {
  const calibrate = o.atOperatingPoint && Object.keys(o.targets).length > 0;
  const results = evaluateCases(model, cases, { ...o, sourceGrid: false, ...(calibrate ? { keepProbabilities: Object.keys(o.targets).map(Number) } : {}) });
  if (!calibrate) return { summary: summarize(results, o.classNames), operatingPoint: null };
  const operatingPoint = calibrateOperatingPoint(results, o.targets, o);
  return { summary: summarize(relabel(results, o.classes, thresholdsOf(operatingPoint)), o.classNames), operatingPoint };
}

/**
 * Arg-max results evaluated with the thresholded classes' probabilities kept, re-labelled and
 * re-scored at those thresholds (the kept probabilities and truth are dropped: the results are final).
 */
export function relabel(results: CaseResult[], classes: number, thresholds: Readonly<Record<number, number>>): CaseResult[] {
  return results.map((r) => {
    if (!r.probabilities || !r.truth) throw new RangeError(`case ${r.seriesInstanceUid} was evaluated without its probabilities; nothing to re-threshold`);
    const prediction = labelsAt(r.prediction, r.probabilities, thresholds);
    const truth = r.truth;
    return { seriesInstanceUid: r.seriesInstanceUid, patientId: r.patientId, geometry: r.geometry, prediction, metrics: [...Array(classes).keys()].map((cls) => (cls === 0 ? null : classMetrics(truth, prediction, cls, r.geometry))) };
  });
}
