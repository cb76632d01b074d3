import { z } from 'zod';
import { connectedComponents } from '../metrics/connectedComponents.js';
import { type CaseDetectionCurve, type Froc, FrocSchema } from '../metrics/froc.js';
import { addFaintLesions, detectionSweep, type TwoThresholdRule } from '../model/faintLesions.js';
import { localisedSweep } from '../model/localisedSweep.js';
import { labelsAt } from '../model/segmentVolume.js';
import { coarseTargetNote } from './coarseTarget.js';
import { lesionsRequired, requiredShare } from './conformal.js';
import { bestDicePoint, pickedPoint } from './curvePoints.js';

/**
 * Candidate thresholds: 0.001 to 0.009 in steps of 0.001, then 0.01 to 0.99 in steps of 0.01 (the
 * arg-max's 0.5 among them). The fine steps matter: a model trained on a class of a few hundred voxels
 * gives many of them probabilities below 0.01, and a 0.9 target was measured to need t < 0.01.
 */
const THRESHOLDS = [...Array.from({ length: 9 }, (_, k) => (k + 1) / 1000), ...Array.from({ length: 99 }, (_, k) => (k + 1) / 100)];

/** How many candidate thresholds p reaches (p >= t), in O(1): the voxel's bin. */
const binOf = (p: number): number => (p < 0.01 ? Math.max(0, Math.floor(p * 1000 + 1e-9)) : 9 + Math.min(99, Math.floor(p * 100 + 1e-9)));

const TradeOffPointSchema = z.object({
  t: z.number(),
  sensitivity: z.number().nullable(),
  precision: z.number().nullable(),
  dice: z.number().nullable(),
  /** Share of the ground-truth lesions (26-connected components) with a voxel at p >= t; null without lesions or for runs before it was recorded. */
  detection: z.number().nullable().default(null),
  /**
   * False positives per validation case (the mean): the 26-connected components of p >= t that touch no
   * lesion; below a lesion target's outline threshold, the two-threshold rule's objects (a component of
   * p >= outline, a faint lesion) that label no lesion voxel (detectionSweep). Null for runs before it was recorded.
   */
  falsePositivesPerCase: z.number().nullable().default(null),
});

/**
 * What a sensitivity target counts: "voxel", the pooled share of the class's voxels labelled (the
 * default), or "lesion", the share of its lesions (26-connected components of the ground truth) with at
 * least one voxel labelled, the any-overlap rule of src/metrics/lesionDetection.ts.
 */
export const TargetBasisSchema = z.enum(['voxel', 'lesion']);
export type TargetBasis = z.infer<typeof TargetBasisSchema>;

/** What a target of this basis is called in reports: "sensitivity", or "lesion-wise sensitivity (lesions found)". */
export const targetMeasure = (basis: TargetBasis): string => (basis === 'lesion' ? 'lesion-wise sensitivity (lesions found)' : 'sensitivity');
export type TradeOffPoint = z.infer<typeof TradeOffPointSchema>;

export const ClassOperatingPointSchema = z.object({
  /** The sensitivity target (fusion.options.sensitivityTargets). */
  target: z.number(),
  /** What the target and the sensitivities below count (runs before it was recorded: voxels). */
  basis: TargetBasisSchema.default('voxel'),
  /** Whether a lesion-wise target was calibrated conformally (operatingPoint.conformal; requiredShare says what it needed). */
  conformal: z.boolean().default(false),
  /** The precision floor the threshold had to keep on validation. */
  minPrecision: z.number().default(0),
  /** The false-positive budget the threshold had to keep on validation (per case, as the curve counts them), when one was set. */
  maxFalsePositivesPerCase: z.number().optional(),
  /** Voxels of the class in the validation ground truth. */
  validationVoxels: z.number().int().default(0),
  /** Lesions (26-connected components) of the class in the validation ground truth (absent for runs before it was recorded). */
  validationLesions: z.number().int().min(0).optional(),
  /** Probability threshold of the class; null: arg-max (no voxel of the class, or no threshold keeps the precision floor). */
  threshold: z.number().nullable(),
  /**
   * The threshold that outlines the class's voxels, when it differs from `threshold`: for a lesion-wise
   * target, the threshold of highest validation Dice when it lies above the detection threshold. Lesions
   * reached by p >= threshold but not by it are outlined at half their peak (src/model/faintLesions.ts).
   * Absent (voxel targets, runs before it was recorded): `threshold` outlines too.
   */
  outlineThreshold: z.number().optional(),
  /** Sensitivity on the target's basis (pooled voxels, or lesions found) and pooled voxel precision on the validation split at that threshold. */
  validationSensitivity: z.number().nullable(),
  validationPrecision: z.number().nullable(),
  /** Whether the target is met on validation. */
  met: z.boolean(),
  /**
   * The validation trade-off the threshold was picked from: per candidate threshold t (ascending), the
   * pooled voxel sensitivity, precision and Dice 2 TP / (2 TP + FP + FN) of the rule p >= t. It shows what
   * the target costs (the Dice at the threshold of highest Dice against the Dice at the one picked).
   * Empty for runs calibrated before it was recorded.
   */
  curve: z.array(TradeOffPointSchema).default([]),
  /**
   * On the test split with the threshold: pooled sensitivity on the target's basis, its 95 % bootstrap
   * CI over cases, and the number of cases; and the class's FROC on test, which no threshold choice
   * decides (absent without test lesions, and for runs before it was recorded).
   */
  test: z
    .object({ sensitivity: z.number(), ci: z.tuple([z.number(), z.number()]), n: z.number().int(), froc: FrocSchema.optional() })
    .nullable()
    .optional(),
});
export type ClassOperatingPoint = z.infer<typeof ClassOperatingPointSchema>;

/** Per class (label value): the calibrated operating point, stored with the run and the export. */
export const OperatingPointSchema = z.record(z.string().regex(/^\d+$/), ClassOperatingPointSchema);
export type OperatingPoint = z.infer<typeof OperatingPointSchema>;

/** Run-config section: how operating points are calibrated. */
export const OperatingPointConfigSchema = z
  .strictObject({
    /**
     * Lowest validation precision a threshold may have (default 0.1, in [0, 1]): a target reached only
     * by predicting the class nearly everywhere is reported as not met rather than applied.
     */
    minPrecision: z.number().min(0).max(1).default(0.1),
    /**
     * What the targets count (default "voxel"): "lesion" calibrates for the share of lesions found, which
     * for lesions of a few voxels is met at a far higher threshold, and so precision, than the same share
     * of their voxels (docs/loss-fusion.md, "A known-shape reference").
     */
    basis: TargetBasisSchema.default('voxel'),
    /**
     * Most false positives per validation case a threshold may give (the mean over cases, counted as the
     * curve's falsePositivesPerCase; >= 0, default none): a lesion target stated as in free-response
     * (FROC) studies, "0.9 of lesions at no more than 1 false positive per case". A target reached only
     * above the budget is reported as not met.
     */
    maxFalsePositivesPerCase: z.number().min(0).optional(),
    /**
     * A lesion-wise target calibrated conformally (default false): the threshold must find
     * ⌈(n + 1) · target⌉ of the n validation lesions instead of ⌈n · target⌉, which bounds the expected
     * share found on new lesions at the target instead of estimating it (src/train/conformal.ts). With 9-18
     * validation lesions and a 0.9 target that means all of them; with 8 or fewer it cannot be met.
     * The final calibration only: epochs are still judged on ⌈n · target⌉ (judgeEpoch says why).
     */
    conformal: z.boolean().default(false),
  })
  .refine((o) => !o.conformal || o.basis === 'lesion', { message: 'conformal calibration counts lesions: it needs basis "lesion"', path: ['conformal'] });
export type OperatingPointConfig = z.infer<typeof OperatingPointConfigSchema>;

/** One validation case for calibration: its labels, the class's probability per voxel, and its grid size (i, j, k). */
export interface CalibrationCase {
  truth: Uint8Array;
  probability: Float32Array;
  size: readonly [number, number, number];
  /** The case's arg-max labels, when kept: a lesion target counts lesions found with them under the rule applied (labelsAt keeps an arg-max voxel below the threshold). */
  argmax?: Uint8Array;
}

/** A class's validation trade-off, candidate thresholds descending, and each case's ground-truth lesions. */
interface TradeOff {
  candidates: TradeOffPoint[];
  voxels: number;
  lesions: number;
  components: { labels: Int32Array; count: number }[];
}

/**
 * Pooled counts of the rule p >= t for every candidate t: one pass over the voxels into one bin per
 * candidate, and one connected-component labelling of each case's ground truth (a lesion is found at t
 * exactly when its most probable voxel reaches t).
 */
function tradeOff(cases: CalibrationCase[], cls: number): TradeOff {
  const m = THRESHOLDS.length;
  const positives = new Float64Array(m + 1);
  const negatives = new Float64Array(m + 1);
  // Lesions by the bin of their most probable voxel.
  const lesionsAt = new Float64Array(m + 1);
  let gt = 0;
  let lesions = 0;
  const components = cases.map((c) => {
    const mask = new Uint8Array(c.truth.length);
    for (let v = 0; v < c.truth.length; v++) {
      const bin = binOf(c.probability[v]);
      if (c.truth[v] === cls) {
        positives[bin]++;
        gt++;
        mask[v] = 1;
      } else negatives[bin]++;
    }
    const lesion = connectedComponents(mask, c.size);
    const top = new Int32Array(lesion.count + 1);
    for (let v = 0; v < mask.length; v++) if (mask[v]) top[lesion.labels[v]] = Math.max(top[lesion.labels[v]], binOf(c.probability[v]));
    for (let l = 1; l <= lesion.count; l++) lesionsAt[top[l]]++;
    lesions += lesion.count;
    return lesion;
  });
  // Voxels (lesions) with p >= THRESHOLDS[j - 1] are those of bins >= j: suffix sums.
  let tp = 0;
  let fp = 0;
  let found = 0;
  const candidates: TradeOffPoint[] = [];
  for (let bin = m; bin >= 1; bin--) {
    tp += positives[bin];
    fp += negatives[bin];
    found += lesionsAt[bin];
    candidates.push({
      t: THRESHOLDS[bin - 1],
      sensitivity: gt ? tp / gt : null,
      precision: tp + fp ? tp / (tp + fp) : null,
      dice: gt + tp + fp ? (2 * tp) / (gt + tp + fp) : null,
      detection: lesions ? found / lesions : null,
      falsePositivesPerCase: null,
    });
  }
  return { candidates, voxels: gt, lesions, components };
}

/**
 * The trade-off's detection counts, one union-find pass per case (detectionSweep): false positives per
 * case for every candidate; with `outline`, those of the two-threshold rule below it and the lesions it
 * finds as it is applied (labelsAt at the outline, then addFaintLesions) with each candidate below it
 * as the detection threshold, by candidate t.
 */
function sweep(cases: CalibrationCase[], trade: TradeOff, cls: number, outline: number | null): { falsePositivesPerCase: Float64Array; underRule: Map<number, number> } {
  const detects = trade.candidates.map((c) => c.t);
  const falsePositives = new Float64Array(detects.length);
  const found = new Float64Array(detects.length);
  cases.forEach((c, i) => {
    const probabilities = new Map([[cls, c.probability]]);
    const rule = outline === null ? undefined : { drawn: labelsAt(c.argmax ?? new Uint8Array(c.truth.length), probabilities, { [cls]: outline }), cls, outline };
    const counts = detectionSweep(c.probability, c.size, trade.components[i], detects, rule);
    counts.falsePositives.forEach((n, k) => {
      falsePositives[k] += n;
    });
    counts.found?.forEach((n, k) => {
      found[k] += n;
    });
  });
  return {
    falsePositivesPerCase: falsePositives.map((n) => (cases.length ? n / cases.length : 0)),
    underRule: new Map(outline === null ? [] : detects.flatMap((t, k) => (t < outline ? [[t, found[k]] as const] : []))),
  };
}

/**
 * Calibrates a probability threshold for class `cls` on validation cases: of the thresholds t in
 * 0.001..0.009 and 0.01..0.99 whose pooled sensitivity of the rule p >= t reaches `target` at a voxel
 * precision of at least `o.minPrecision` (default 0) and at most `o.maxFalsePositivesPerCase`
 * false-positive components per case (default none), the one of highest precision for a voxel target,
 * of highest pooled Dice for a lesion target (the larger t on ties). The sensitivity is the basis'
 * (`o.basis`, default voxel): voxel, Σ TP / Σ GT; lesion, lesions with a voxel at p >= t over lesions.
 * With `o.conformal` (lesion basis) a threshold meets the target when it finds ⌈(n + 1) · target⌉ of
 * the n validation lesions (requiredShare), which bounds the expected share found on new lesions.
 * When none reaches the target, met = false and the report says plainly that it cannot be met: the
 * threshold of highest sensitivity among those keeping the floors is used, or none (arg-max) if no
 * threshold keeps them.
 * A lesion target also gets an outline threshold, the curve's highest-Dice point, when that lies above
 * the detection threshold (labelsAtOperatingPoint); below it, lesions found are counted under that
 * two-threshold rule as applied, which can find fewer than the curve's p >= t says (a faint lesion
 * whose component reaches the outline is drawn at the outline only), and the stored validation
 * sensitivity is that count. Counting is one pass over the voxels into one bin per candidate, one
 * connected-component labelling of each case's ground truth and one union-find of each case's voxels at
 * p >= 0.001 in descending order (detectionSweep).
 */
export function calibrateThreshold(cases: CalibrationCase[], cls: number, target: number, o: Partial<OperatingPointConfig> = {}): ClassOperatingPoint {
  const { minPrecision = 0, basis = 'voxel', maxFalsePositivesPerCase, conformal = false } = o;
  const trade = tradeOff(cases, cls);
  const { voxels: gt, lesions } = trade;
  // A lesion target counts lesions, so the voxels can be drawn at the threshold that draws them best
  // (highest validation Dice) while a lower detection threshold only decides which faint lesions exist;
  // below that outline, lesions found are counted under the two-threshold rule itself.
  const best = basis === 'lesion' && gt ? bestDicePoint({ curve: trade.candidates.slice().reverse() }) : null;
  const { falsePositivesPerCase, underRule } = sweep(cases, trade, cls, best?.t ?? null);
  const candidates = trade.candidates.map((c, k) => ({ ...c, falsePositivesPerCase: falsePositivesPerCase[k] }));
  const curve = gt ? candidates.slice().reverse() : [];
  const reached = (c: TradeOffPoint) => (basis === 'lesion' ? (lesions && underRule.has(c.t) ? (underRule.get(c.t) as number) / lesions : c.detection) : c.sensitivity);
  const allowed = candidates.filter((c) => (c.precision ?? 0) >= minPrecision && (maxFalsePositivesPerCase === undefined || (c.falsePositivesPerCase ?? 0) <= maxFalsePositivesPerCase));
  const need = requiredShare({ target, basis, conformal, validationLesions: lesions });
  const meeting = allowed.filter((c) => (reached(c) ?? -1) >= need);
  // Of the thresholds that meet the target: voxels, the most precise (the voxel sensitivity is fixed near
  // the target, so precision decides Dice); lesions, the highest Dice, since "found" leaves the voxels
  // free, and the most precise one was measured to keep a handful of certain voxels (precision 1 on
  // validation, lesion Dice 0.41 and 5 of 7 test lesions found on the hard cohort).
  const score = (c: TradeOffPoint) => (basis === 'lesion' ? (c.dice ?? 0) : (c.precision ?? 0));
  const pick = meeting.length ? meeting.reduce((b, c) => (score(c) > score(b) || (score(c) === score(b) && c.t > b.t) ? c : b)) : allowed.length ? allowed.reduce((b, c) => ((reached(c) ?? -1) > (reached(b) ?? -1) ? c : b)) : null;
  const outline = best && pick && best.t > pick.t ? best : null;
  return {
    target,
    basis,
    conformal: basis === 'lesion' && conformal,
    minPrecision,
    ...(maxFalsePositivesPerCase === undefined ? {} : { maxFalsePositivesPerCase }),
    validationVoxels: gt,
    validationLesions: lesions,
    ...(outline ? { outlineThreshold: outline.t } : {}),
    threshold: gt && pick ? pick.t : null,
    validationSensitivity: pick ? reached(pick) : null,
    validationPrecision: pick?.precision ?? null,
    met: meeting.length > 0,
    curve,
  };
}

/**
 * The thresholds of a test split's FROC (caseDetectionCurve), descending: the calibration's candidates
 * and, above 0.99, 0.995 to 0.99999. A network's confident false positives sit above 0.99 (measured:
 * at 0.99 most runs on the hard cohort still gave more than 0.25 per case), so without them the curve's
 * low-false-positive end read 0 for want of a threshold, not of ranking.
 */
export const FROC_THRESHOLDS: readonly number[] = [0.99999, 0.9999, 0.9995, 0.999, 0.995, ...THRESHOLDS.slice().reverse()];

/**
 * One case's FROC counts for class `cls` at every threshold of FROC_THRESHOLDS: lesions (26-connected
 * components of the ground truth) that a component of p >= t localises (IoU >= LOCALISATION_IOU), and
 * components of p >= t that localise none (localisedSweep), for froc().
 */
export function caseDetectionCurve(truth: Uint8Array, probability: Float32Array, cls: number, size: readonly [number, number, number]): CaseDetectionCurve & { found: Int32Array; falsePositives: Int32Array } {
  const mask = new Uint8Array(truth.length);
  for (let v = 0; v < truth.length; v++) mask[v] = truth[v] === cls ? 1 : 0;
  const lesions = connectedComponents(mask, size);
  return { lesions: lesions.count, ...localisedSweep(probability, size, lesions, FROC_THRESHOLDS) };
}

/** The voxel rule's thresholds of an operating point, as segmentVolume takes them: each class's outline threshold. */
export const thresholdsOf = (op: OperatingPoint | null | undefined): Record<number, number> => Object.fromEntries(Object.entries(op ?? {}).flatMap(([c, p]) => (p.threshold === null ? [] : [[Number(c), p.outlineThreshold ?? p.threshold]])));

/** The classes of an operating point that detect below their outline threshold, as addFaintLesions takes them. */
export const faintRulesOf = (op: OperatingPoint | null | undefined): Record<number, TwoThresholdRule> =>
  Object.fromEntries(Object.entries(op ?? {}).flatMap(([c, p]) => (p.threshold !== null && p.outlineThreshold !== undefined && p.threshold < p.outlineThreshold ? [[Number(c), { detect: p.threshold, outline: p.outlineThreshold }]] : [])));

/**
 * The labels of an operating point from the arg-max labels and the kept probabilities of its classes
 * (i fastest, grid `size`): the voxel rule at each class's outline threshold (labelsAt), then the faint
 * lesions that only the lower detection threshold reaches, outlined at half their peak (addFaintLesions).
 */
export function labelsAtOperatingPoint(argmax: Uint8Array, probabilities: ReadonlyMap<number, Float32Array>, op: OperatingPoint | null | undefined, size: readonly [number, number, number]): Uint8Array {
  return addFaintLesions(labelsAt(argmax, probabilities, thresholdsOf(op)), probabilities, faintRulesOf(op), size);
}

/**
 * What the target costs on validation: the Dice at the picked threshold and at the best one; empty
 * without a curve or a threshold. With an outline threshold the voxels are drawn at the best one, and
 * the clause says so instead.
 */
function targetCost(p: ClassOperatingPoint, f: (v: number | null | undefined) => string): string {
  if (p.outlineThreshold !== undefined) return `; lesions outlined at ${p.outlineThreshold}, the validation's best Dice, and a lesion only ${p.threshold} reaches at half its peak`;
  const best = bestDicePoint(p);
  const at = pickedPoint(p);
  if (!best || !at || best.t === at.t) return '';
  return `; validation Dice ${f(at.dice)} there, against ${f(best.dice)} at threshold ${best.t} (sensitivity ${f(best.sensitivity)}, precision ${f(best.precision)}), the class's best`;
}

/**
 * One plain sentence per class of an operating point, e.g. "lesion: target sensitivity 0.9, threshold
 * 0.23 (validation sensitivity 0.91, precision 0.64); on test 0.88 [0.79, 0.95], 4 cases" or, when the
 * target cannot be met, says so with the best sensitivity reached; then any caution (coarseTargetNote).
 */
export function describeOperatingPoint(op: OperatingPoint, classNames: string[]): string[] {
  return Object.entries(op).map(([c, p]) => {
    const coarse = coarseTargetNote(p);
    return `${describeClass(p, classNames[Number(c)] ?? `class ${c}`)}${coarse ? `. Caution: ${coarse}` : ''}`;
  });
}

/** "FROC on test (every threshold, IoU >= 0.1, 18 lesions in 10 cases): lesions found 0.611 at 1 false positive per case, 0.778 at 2, 0.778 at 4; CPM 0.548 [95 % CI 0.4, 0.7]". */
export function describeFroc(froc: Froc): string {
  const at = (rate: number) => froc.rates.find((r) => r.falsePositivesPerCase === rate)?.sensitivity.toFixed(3) ?? '-';
  return `FROC on test (every threshold, IoU >= 0.1, ${froc.lesions} lesions in ${froc.cases} cases): lesions found ${at(1)} at 1 false positive per case, ${at(2)} at 2, ${at(4)} at 4; CPM ${froc.cpm.estimate.toFixed(3)} [95 % CI ${froc.cpm.ci[0].toFixed(3)}, ${froc.cpm.ci[1].toFixed(3)}]`;
}

function describeClass(p: ClassOperatingPoint, name: string): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
  const test = p.test ? `; on test ${f(p.test.sensitivity)} [95 % CI ${f(p.test.ci[0])}, ${f(p.test.ci[1])}], ${p.test.n} case(s)${p.test.froc ? `; ${describeFroc(p.test.froc)}` : ''}` : '; no test case has this class';
  const floors = [p.minPrecision > 0 ? `a precision of at least ${p.minPrecision}` : '', p.maxFalsePositivesPerCase === undefined ? '' : `at most ${p.maxFalsePositivesPerCase} false-positive components per case`].filter(Boolean);
  const floor = floors.length ? ` at ${floors.join(' and ')}` : '';
  const fp = pickedPoint(p)?.falsePositivesPerCase;
  const falsePositives = fp === null || fp === undefined ? '' : `, ${fp.toFixed(1)} false-positive components per case`;
  // A lesion-basis target counts lesions found; say so wherever its numbers appear.
  const what = targetMeasure(p.basis);
  const n = p.validationLesions ?? 0;
  const required = lesionsRequired(p.target, n, true);
  // A conformal target says what it asked of validation: the count, which is all n for 9-18 lesions at 0.9.
  const conformal = p.conformal
    ? ` (conformal: ${required > n ? `a guarantee of ${p.target} needs more than ${n} validation lesions` : `${required} of ${n} validation lesions needed, so that the expected share found on new lesions is at least ${p.target}`})`
    : '';
  if (p.validationVoxels === 0) return `${name}: target ${what} ${p.target}: no validation case has this class, arg-max used`;
  if (p.threshold === null)
    return `${name}: target ${what} ${p.target}${conformal} CANNOT be met on validation${floor}: no threshold keeps ${floors.length > 1 ? 'both' : p.minPrecision > 0 ? 'that precision' : 'that budget'}, arg-max used${test}`;
  if (!p.met)
    return `${name}: target ${what} ${p.target}${conformal} CANNOT be met on validation${floor}: the best is ${f(p.validationSensitivity)} (threshold ${p.threshold}, precision ${f(p.validationPrecision)}${falsePositives}), which is used${targetCost(p, f)}${test}`;
  return `${name}: target ${what} ${p.target}${conformal} met with threshold ${p.threshold} (validation ${what} ${f(p.validationSensitivity)}, precision ${f(p.validationPrecision)}${falsePositives})${targetCost(p, f)}${test}`;
}
