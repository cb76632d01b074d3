import type * as tf from '@tensorflow/tfjs';
import type { PreprocessedCase } from '../data/preprocess.js';
import { classMetrics } from '../metrics/segmentationMetrics.js';
import { evaluateCases, meanForegroundDice, summarize, type CaseResult, type EvaluateOptions } from './evaluate.js';
import { coarseTargetNote } from './coarseTarget.js';
import { calibrateThreshold, labelsAtOperatingPoint, type OperatingPoint, type OperatingPointConfig } from './operatingPoint.js';
import type { RunConfig } from './runConfig.js';
import { isBetter, selectionScore, smoothScore, type SelectionScore } from './selection.js';

/** Per target class, the threshold calibrated on the arg-max results' kept probabilities of that class (and their arg-max labels). */
export function calibrateOperatingPoint(results: CaseResult[], targets: Record<string, number>, o: OperatingPointConfig): OperatingPoint {
  return Object.fromEntries(
    Object.entries(targets).map(([c, target]) => [
      c,
      calibrateThreshold(
        results.map((r) => ({ truth: r.truth as Uint8Array, probability: r.probabilities?.get(Number(c)) as Float32Array, size: r.geometry.size, argmax: r.prediction })),
        Number(c),
        target,
        o,
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
 * One epoch's validation, on the grid and against the truth `o` names (the trainer: each series' own
 * grid, as the final calibration and the test). With sensitivity targets and `atOperatingPoint`, the
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
  o: Omit<EvaluateOptions, 'keepProbabilities' | 'operatingPoint'> & { classNames: string[]; targets: Record<string, number>; atOperatingPoint: boolean; calibration: OperatingPointConfig },
): EpochValidation {
  const calibrate = o.atOperatingPoint && Object.keys(o.targets).length > 0;
  const results = evaluateCases(model, cases, { ...o, ...(calibrate ? { keepProbabilities: Object.keys(o.targets).map(Number) } : {}) });
  if (!calibrate) return { summary: summarize(results, o.classNames), operatingPoint: null };
  const operatingPoint = calibrateOperatingPoint(results, o.targets, o.calibration);
  return { summary: summarize(relabel(results, o.classes, operatingPoint), o.classNames), operatingPoint };
}

/**
 * Arg-max results evaluated with the operating point's classes' probabilities kept, re-labelled and
 * re-scored at the operating point (labelsAtOperatingPoint; the kept probabilities and truth are
 * dropped: the results are final).
 */
export function relabel(results: CaseResult[], classes: number, operatingPoint: OperatingPoint | null): CaseResult[] {
  return results.map((r) => {
    if (!r.probabilities || !r.truth) throw new RangeError(`case ${r.seriesInstanceUid} was evaluated without its probabilities; nothing to re-threshold`);
    const prediction = labelsAtOperatingPoint(r.prediction, r.probabilities, operatingPoint, r.geometry.size);
    const truth = r.truth;
    return { seriesInstanceUid: r.seriesInstanceUid, patientId: r.patientId, geometry: r.geometry, prediction, metrics: [...Array(classes).keys()].map((cls) => (cls === 0 ? null : classMetrics(truth, prediction, cls, r.geometry))) };
  });
}

/**
 * Whether an epoch (from 0) is validated: every `validationInterval`-th and always the last (MONAI's
 * val_interval). Training is the same either way; only the epochs selection and early stopping see.
 */
export function isValidationEpoch(epoch: number, config: Pick<RunConfig, 'validationInterval' | 'epochs'>): boolean {
  return (epoch + 1) % config.validationInterval === 0 || epoch === config.epochs - 1;
}

/** An epoch's validation figures and its standing under the selection rule (none for an epoch not validated). */
export interface EpochJudgement {
  valDice: number | null;
  /** Per class name the means over cases, and the threshold they were read at where the epoch was judged at an operating point. */
  valMetrics: Record<string, Record<string, number | null>>;
  score: SelectionScore | null;
  /** Better than `best` under the selection rule: this epoch becomes the best checkpoint. */
  improved: boolean;
}

export const NOT_VALIDATED: EpochJudgement = { valDice: null, valMetrics: {}, score: null, improved: false };

/**
 * An epoch validated (validateEpoch, with the run's mirroring, targets and operating-point rule) and
 * scored by the selection rule, smoothed with the previous validated epoch's score, against the best so
 * far. The first validated epoch says when a lesion-wise target rests on too few validation lesions.
 */
export function judgeEpoch(
  model: tf.LayersModel,
  cases: PreprocessedCase[],
  o: {
    config: RunConfig;
    evalOptions: Omit<EvaluateOptions, 'keepProbabilities' | 'operatingPoint' | 'mirror'>;
    classNames: string[];
    targets: Record<string, number>;
    epoch: number;
    previous: SelectionScore | null;
    best: SelectionScore | null;
    onProgress: (done: number, total: number) => void;
    onCaution: (message: string) => void;
  },
): EpochJudgement {
  const { config, classNames, targets } = o;
  const { summary, operatingPoint } = validateEpoch(model, cases, {
    ...o.evalOptions,
    mirror: config.inference.mirror && config.inference.mirrorEachEpoch,
    classNames,
    targets,
    atOperatingPoint: config.selection.atOperatingPoint,
    // Epochs are judged on the target's share even when the final calibration is conformal: judged on
    // the conformal count (20 of its 21 validation lesions), seed 2 of cohort 6161 kept epoch 2 of 18,
    // an over-segmenting one, and reached test lesion Dice 0.234 against 0.401 (docs/loss-fusion.md).
    calibration: { ...config.operatingPoint, conformal: false },
    onProgress: o.onProgress,
  });
  if (o.epoch === Math.min(config.validationInterval, config.epochs) - 1)
    for (const [c, p] of Object.entries(operatingPoint ?? {})) {
      const coarse = coarseTargetNote(p);
      if (coarse) o.onCaution(`caution, ${classNames[Number(c)] ?? `class ${c}`}: ${coarse}`);
    }
  const raw = selectionScore(summary, classNames, config.selection, targets, operatingPoint);
  const score = raw && smoothScore(raw, o.previous, config.selection.smoothing, targets, classNames, config.selection.targetTolerance);
  const valMetrics = Object.fromEntries(
    Object.entries(summary).map(([cls, m]) => {
      const c = String(classNames.indexOf(cls));
      const means: Record<string, number | null> = Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.mean]));
      if (operatingPoint?.[c]) means.threshold = operatingPoint[c].threshold;
      return [cls, means];
    }),
  );
  return { valDice: meanForegroundDice(summary), valMetrics, score, improved: score !== null && isBetter(score, o.best) };
}
