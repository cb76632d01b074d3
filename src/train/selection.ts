import { z } from 'zod';
import type { Aggregate } from '../metrics/segmentationMetrics.js';
import type { OperatingPoint } from './operatingPoint.js';

/**
 * How the best checkpoint is chosen and early stopping decides, on the validation split after each
 * epoch. The default: mean foreground Dice, subject to the run's sensitivity targets (an epoch that
 * meets every target ranks above every epoch that misses one), so a rare class's requirement is never
 * silently traded for the large structures' Dice.
 */
export const SelectionSchema = z.strictObject({
  /** The validation metric to maximise (mean over cases): dice (default), sensitivity, precision, detectionSensitivity or detectionF1. */
  metric: z.enum(['dice', 'sensitivity', 'precision', 'detectionSensitivity', 'detectionF1']).default('dice'),
  /** The class (label value) whose metric counts; default: the mean over the foreground classes. */
  class: z.number().int().min(1).optional(),
  /** Rank epochs meeting every sensitivity target (fusion.options.sensitivityTargets) above the others (default true). */
  respectTargets: z.boolean().default(true),
  /**
   * With sensitivity targets: judge each epoch at thresholds calibrated on validation for them, as the
   * final evaluation applies them (default true): a target counts as met when a threshold reaches it at
   * operatingPoint.minPrecision, and the metric is read at those thresholds. false: at the arg-max.
   */
  atOperatingPoint: z.boolean().default(true),
  /**
   * Exponential moving average over epochs, in [0, 0.95] (default 0: each epoch judged alone): the
   * metric and each target's reached sensitivity are smoothed as s_e = smoothing * s_(e-1) +
   * (1 - smoothing) * x_e, targets are judged met on the smoothed sensitivity, and the best checkpoint
   * is the epoch of the best smoothed standing. nnU-Net selects on such an average of its pseudo-Dice
   * (0.9 over 1000 short epochs); validation of a few small lesions jumps between epochs.
   */
  smoothing: z.number().min(0).max(0.95).default(0),
  /**
   * How far below a sensitivity target an epoch may stay and still count as meeting it, in [0, 0.5]
   * (default 0): met when the sensitivity reached is >= target - targetTolerance. Selection only: the
   * final operating point is calibrated for the target itself and says whether it is met. Why: a
   * lesion target is judged on a count of 15-20 validation lesions, where 0.9 means missing at most one
   * and later, sharper epochs that miss two (0.889 of 18) ranked below early, over-segmenting ones; 0.06
   * tolerates one lesion of 17-20.
   */
  targetTolerance: z.number().min(0).max(0.5).default(0),
});
export type Selection = z.output<typeof SelectionSchema>;

/** An epoch's standing under the selection rule: whether it meets the targets, then the metric. */
export interface SelectionScore {
  meetsTargets: boolean;
  value: number;
  /** Targets missed, as "lesion 0.74 < 0.9", for messages. */
  missed: string[];
  /** Σ over the targets of max(0, target − the sensitivity reached): how far an epoch that misses is from meeting them. */
  shortfall?: number;
  /** Per target (label value): the sensitivity reached on the target's basis (undefined: 0), for smoothing. */
  reached?: Record<string, number>;
}

/**
 * The score of an epoch's validation summary (per class name: per metric: aggregate over cases);
 * classNames[c] names label c. Null when the metric is undefined for every class it averages (no
 * case has the class). Targets are keyed by label value, e.g. {"2": 0.9}; a target whose class has
 * no defined sensitivity counts as missed. With the operating point the summary was read at, a
 * target is met when its calibration met it (pooled over the validation cases).
 */
export function selectionScore(summary: Record<string, Record<string, Aggregate>>, classNames: string[], selection: Selection, targets: Record<string, number>, operatingPoint: OperatingPoint | null = null): SelectionScore | null {
  const classes = selection.class !== undefined ? [selection.class] : classNames.map((_, c) => c).filter((c) => c > 0);
  const values = classes.map((c) => summary[classNames[c]]?.[selection.metric]?.mean ?? null).filter((v): v is number => v !== null);
  if (!values.length) return null;
  let shortfall = 0;
  const reachedBy: Record<string, number> = {};
  const tolerance = selection.targetTolerance;
  const within = tolerance > 0 ? ` - ${tolerance}` : '';
  const missed = selection.respectTargets
    ? Object.entries(targets).flatMap(([c, t]) => {
        const name = classNames[Number(c)] ?? `class ${c}`;
        const op = operatingPoint?.[c];
        const reached = op ? op.validationSensitivity : (summary[classNames[Number(c)]]?.sensitivity?.mean ?? null);
        reachedBy[c] = reached ?? 0;
        // An operating point that is not met reports the highest sensitivity any threshold keeping its floors reached.
        const met = (op?.met ?? false) || (reached !== null && reached >= t - tolerance);
        if (met) return [];
        shortfall += t - tolerance - Math.min(t - tolerance, reached ?? 0);
        const shown = reached === null ? 'undefined' : reached.toFixed(3);
        return [
          op
            ? `${name} ${shown} < ${t}${within} at any threshold keeping precision ${op.minPrecision}${op.maxFalsePositivesPerCase === undefined ? '' : ` and ${op.maxFalsePositivesPerCase} false positives per case`}`
            : `${name} ${shown} < ${t}${within}`,
        ];
      })
    : [];
  return { meetsTargets: missed.length === 0, value: values.reduce((a, b) => a + b, 0) / values.length, missed, shortfall, reached: reachedBy };
}

/**
 * An epoch's score smoothed with the previous epoch's smoothed score (selection.smoothing = a):
 * value and each target's reached sensitivity r become a * previous + (1 - a) * current, a target is
 * met when the smoothed r >= target - tolerance (selection.targetTolerance; calibration meets a target
 * exactly when its r reaches it, so with a = 0 this is the epoch's own standing), and the shortfall is
 * Σ max(0, target - tolerance - r). The first
 * epoch, a = 0, or a previous score without reached sensitivities (a checkpoint from before smoothing)
 * leave the score as it is.
 */
export function smoothScore(current: SelectionScore, previous: SelectionScore | null, a: number, targets: Record<string, number>, classNames: string[], tolerance = 0): SelectionScore {
  if (a === 0 || previous === null || previous.reached === undefined || current.reached === undefined) return current;
  const mix = (p: number, c: number) => a * p + (1 - a) * c;
  const reached: Record<string, number> = {};
  const missed: string[] = [];
  let shortfall = 0;
  for (const [c, r] of Object.entries(current.reached)) {
    const t = targets[c] === undefined ? undefined : targets[c] - tolerance;
    reached[c] = mix(previous.reached[c] ?? 0, r);
    if (t === undefined || reached[c] >= t) continue;
    shortfall += t - reached[c];
    missed.push(`${classNames[Number(c)] ?? `class ${c}`} ${reached[c].toFixed(3)} < ${targets[c]}${tolerance > 0 ? ` - ${tolerance}` : ''} (smoothed over epochs)`);
  }
  return { meetsTargets: missed.length === 0, value: mix(previous.value, current.value), missed, shortfall, reached };
}

/**
 * Whether `a` is a better epoch than `b`: meeting the targets first; between two that miss, the one
 * closer to meeting them (smaller shortfall); then the larger value (ties keep the earlier epoch).
 * Without the middle rule, a run that never meets its target kept an early epoch whose Dice at a
 * precision-floor threshold happened to be high, and stopped early on it.
 */
export function isBetter(a: SelectionScore, b: SelectionScore | null): boolean {
  if (b === null) return true;
  if (a.meetsTargets !== b.meetsTargets) return a.meetsTargets;
  if (!a.meetsTargets && a.shortfall !== undefined && b.shortfall !== undefined && Math.abs(a.shortfall - b.shortfall) > 1e-9) return a.shortfall < b.shortfall;
  return a.value > b.value;
}

/** "validation dice of lesion 0.812, sensitivity targets met" and the like, for progress messages. */
export function describeScore(score: SelectionScore | null, selection: Selection, classNames: string[]): string {
  if (!score) return 'no validation score yet';
  const of = selection.class !== undefined ? ` of ${classNames[selection.class] ?? `class ${selection.class}`}` : ' (mean over foreground classes)';
  const targets = score.missed.length ? `, targets missed: ${score.missed.join(', ')}` : selection.respectTargets ? ', sensitivity targets met' : '';
  const smoothed = selection.smoothing > 0 ? `, smoothed over epochs (${selection.smoothing})` : '';
  return `validation ${selection.metric}${of} ${score.value.toFixed(3)}${smoothed}${targets}`;
}
