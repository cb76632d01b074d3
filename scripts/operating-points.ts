/**
 * npm run fusion:operating-points -- STUDY [--class C] [--max-fp N]: what a study's arms differ in before and after
 * the operating point. The calibrated threshold moves every arm to the same validation sensitivity, so
 * a difference the weighting makes in the network's output can vanish there; this re-reads the test
 * split three ways. For each completed run the best checkpoint segments the test cases again (the run's
 * own inference settings, on each series' grid, as the trainer's final evaluation) keeping class C's
 * probabilities (default 2, the lesion), and per case reads:
 * - `argmax`: the network's own output, no threshold;
 * - `calibrated`: the run's stored operating point, its outline threshold and faint lesions included,
 *   applied by today's code (`storedDiceReproduced` per run: whether every test case's stored Dice came
 *   back, which a change to the faint-lesion rule since the run breaks);
 * - `recalibrated`: the operating point today's calibration gives the same checkpoint (its validation
 *   split segmented again and calibrateOperatingPoint run on it, as the trainer's final evaluation):
 *   for a run calibrated by the same code, the stored point again; otherwise what a change to the
 *   calibration does on the same network output (the validation lesions found at its threshold under
 *   the rule applied, and by p >= t alone);
 * - `budgeted`: the same under a false-positive budget of N per validation case (`--max-fp N`,
 *   operatingPoint.maxFalsePositivesPerCase; without it, the run's own, and so `recalibrated` again);
 * - `productFroc`: the product's FROC of the test cases (src/metrics/froc.ts: every candidate threshold,
 *   IoU >= 0.1, read at 1/8 to 8 false positives per case with bootstrap CIs, and the CPM), what a run
 *   stores for its own test split, here for any checkpoint and pooled over an arm's seeds with CIs;
 * - a free-response curve over the rule p >= t (t from 0.001 to 0.99): lesions found against
 *   false-positive components per case, and the detection sensitivity at 0.5, 1, 2 and 4 false
 *   positives per case (the best over thresholds with at most that many; FROC as in lesion-detection
 *   challenges): a comparison no threshold choice decides.
 * Lesions are counted under two rules (26-connectivity): any overlap, as the product counts them, and
 * IoU >= 0.1 between lesion and predicted component, a localisation criterion that a low threshold
 * merging the organ into one component touching every lesion cannot pass.
 * Then every pair of arms (the study's reference arm first), paired by seed and test case: Wilcoxon
 * signed-rank and the bootstrap CI of the mean difference, Holm over every comparison printed.
 * Reads the catalogue of DATABASE_URL and the runs' checkpoints; prints JSON. A diagnostic for
 * docs/loss-fusion.md.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { withDb } from '../src/cli/withDb.js';
import { readVolume } from '../src/data/volumeCache.js';
import { describeDataset } from '../src/data/datasetInfo.js';
import type { Db } from '../src/db/client.js';
import { findRun } from '../src/db/runs.js';
import { findStudy, studyRuns } from '../src/db/studies.js';
import { connectedComponents } from '../src/metrics/connectedComponents.js';
import { bootstrapMean, holmAdjust, wilcoxonSignedRank } from '../src/metrics/pairedStatistics.js';
import { classMetrics, type ClassMetrics } from '../src/metrics/segmentationMetrics.js';
import { LOCALISATION_IOU } from '../src/model/localisedSweep.js';
import { buildUNet } from '../src/model/unet.js';
import { restoreWeights } from '../src/train/checkpoint.js';
import { type CaseDetectionCurve, froc as frocOf } from '../src/metrics/froc.js';
import { pickedPoint } from '../src/train/curvePoints.js';
import { caseDetectionCurve, FROC_THRESHOLDS, labelsAtOperatingPoint, type OperatingPoint } from '../src/train/operatingPoint.js';
import { calibrateOperatingPoint } from '../src/train/validation.js';
import { evaluateCases } from '../src/train/evaluate.js';
import { parseRunConfig, runTargets } from '../src/train/runConfig.js';
import { casesOf, preprocessAll } from '../src/train/trainingData.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { class: { type: 'string', default: '2' }, 'max-fp': { type: 'string' } } });
const studyId = positionals[0];
const cls = Number(values.class);
const maxFp = values['max-fp'] === undefined ? undefined : Number(values['max-fp']);
if (!studyId || !Number.isInteger(cls) || cls < 1 || (maxFp !== undefined && !(maxFp >= 0))) {
  console.error('usage: npm run fusion:operating-points -- STUDY [--class C] [--max-fp N (>= 0)]');
  process.exit(2);
}
const SWEEP = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
const FP_RATES = [0.5, 1, 2, 4];
/** A localisation criterion beside any overlap, the product FROC's: a predicted component finds a lesion when their IoU reaches this. */
const STRICT_IOU = LOCALISATION_IOU;
const RULES = ['anyOverlap', 'iou'] as const;
type Rule = (typeof RULES)[number];
const r3 = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v.toFixed(3)));

const READINGS = ['argmax', 'calibrated', 'recalibrated', 'budgeted'] as const;
type Reading = (typeof READINGS)[number];

/** One test case of one run, read at the arg-max and at the calibrated threshold, with its sweep. */
interface CaseReading {
  key: string;
  argmax: ClassMetrics;
  calibrated: ClassMetrics;
  /** At the operating point today's calibration gives the checkpoint. */
  recalibrated: ClassMetrics;
  /** At the operating point today's calibration gives it under the --max-fp budget. */
  budgeted: ClassMetrics;
  /** Per threshold of SWEEP, under each rule: any overlap (the product's) and IoU >= STRICT_IOU. */
  sweep: Record<Rule, { found: number; lesions: number; falsePositives: number }>[];
  /** The product's detection curve of the case (every candidate threshold, IoU >= 0.1), for its FROC. */
  curve: CaseDetectionCurve;
  /** Each reading's segmentation counted under both rules. */
  rules: Record<Reading, Record<Rule, { found: number; lesions: number; falsePositives: number }>>;
}

/** A re-calibrated point of one run: thresholds, what it found on validation, whether it met the target. */
interface PointSummary {
  threshold: number | null;
  outlineThreshold: number | null;
  validationSensitivity: number | null;
  met: boolean | null;
  falsePositivesPerCase: number | null;
  singleThresholdDetection: number | null;
}

const summarizePoint = (op: OperatingPoint | null): PointSummary => {
  const again = op?.[String(cls)];
  const at = again && pickedPoint(again);
  return {
    threshold: again?.threshold ?? null,
    outlineThreshold: again?.outlineThreshold ?? null,
    validationSensitivity: again?.validationSensitivity ?? null,
    met: again?.met ?? null,
    falsePositivesPerCase: at?.falsePositivesPerCase ?? null,
    singleThresholdDetection: at?.detection ?? null,
  };
};

interface RunReading {
  arm: string;
  seed: number;
  runId: string;
  /** The stored point's detection and outline thresholds (null: arg-max; outline null: the threshold outlines too). */
  threshold: number | null;
  outlineThreshold: number | null;
  /** The same of the point today's calibration gives, and the validation lesions found it counts. */
  recalibrated: PointSummary;
  budgeted: PointSummary;
  /** Whether the stored operating point, applied today, gave back every stored test Dice (else the cases that differ). */
  storedDiceReproduced: true | string[];
  cases: CaseReading[];
}

/** Pooled over cases: voxel sensitivity and precision, mean case Dice, lesions found, false-positive components. */
function pooled(ms: ClassMetrics[]) {
  let [tp, gt, pred] = [0, 0, 0];
  for (const m of ms) {
    const t = (m.sensitivity ?? 0) * m.groundTruthVoxels;
    tp += t;
    gt += m.groundTruthVoxels;
    pred += m.predictedVoxels;
  }
  return {
    voxelSensitivity: r3(gt ? tp / gt : null),
    precision: r3(pred ? tp / pred : null),
    meanDice: r3(ms.reduce((s, m) => s + m.dice, 0) / (ms.length || 1)),
    lesionsFound: `${ms.reduce((s, m) => s + m.lesionsFound, 0)}/${ms.reduce((s, m) => s + m.lesions, 0)}`,
    falsePositiveComponents: ms.reduce((s, m) => s + m.falsePositiveComponents, 0),
  };
}

/** Detection sensitivity at each false-positive rate per case: the best threshold of the sweep staying within it. */
function froc(cases: CaseReading[], rule: Rule) {
  const points = SWEEP.map((t, i) => {
    const found = cases.reduce((s, c) => s + c.sweep[i][rule].found, 0);
    const lesions = cases.reduce((s, c) => s + c.sweep[i][rule].lesions, 0);
    const fp = cases.reduce((s, c) => s + c.sweep[i][rule].falsePositives, 0) / (cases.length || 1);
    return { threshold: t, sensitivity: lesions ? found / lesions : 0, falsePositivesPerCase: fp };
  });
  return {
    atFalsePositivesPerCase: Object.fromEntries(FP_RATES.map((rate) => [rate, r3(Math.max(0, ...points.filter((p) => p.falsePositivesPerCase <= rate).map((p) => p.sensitivity)))])),
    curve: points.map((p) => ({ threshold: p.threshold, sensitivity: r3(p.sensitivity), falsePositivesPerCase: r3(p.falsePositivesPerCase) })),
  };
}

/** The product's FROC of the cases (src/metrics/froc.ts, every candidate threshold): its rates and CPM with their CIs. */
function productFroc(cases: CaseReading[]) {
  const f = frocOf(
    FROC_THRESHOLDS,
    cases.map((c) => c.curve),
    { seed: 1 },
  );
  return (
    f && { lesions: f.lesions, cases: f.cases, rates: f.rates.map((q) => ({ falsePositivesPerCase: q.falsePositivesPerCase, sensitivity: r3(q.sensitivity), ci: q.ci.map(r3) })), cpm: { estimate: r3(f.cpm.estimate), ci: f.cpm.ci.map(r3) } }
  );
}

type Components = ReturnType<typeof connectedComponents>;

/**
 * Lesions found and false-positive components under both rules, from the overlap of every (lesion,
 * predicted component) pair. Any overlap counts a component that touches a lesion as finding it, so a
 * low threshold that merges the organ into one component touching every lesion finds them all with no
 * false positive; IoU >= STRICT_IOU asks the component to be about the lesion's size and place.
 */
function detections(truth: Components, predicted: Components): Record<Rule, { found: number; lesions: number; falsePositives: number }> {
  const size = (c: Components) => {
    const n = new Float64Array(c.count + 1);
    for (const l of c.labels) n[l]++;
    return n;
  };
  const [truthSize, predictedSize] = [size(truth), size(predicted)];
  const overlap = new Map<number, number>();
  for (let v = 0; v < truth.labels.length; v++) {
    const [a, b] = [truth.labels[v], predicted.labels[v]];
    const key = a * (predicted.count + 1) + b;
    if (a && b) overlap.set(key, (overlap.get(key) ?? 0) + 1);
  }
  const found = { anyOverlap: new Set<number>(), iou: new Set<number>() };
  const matched = { anyOverlap: new Set<number>(), iou: new Set<number>() };
  for (const [key, n] of overlap) {
    const [a, b] = [Math.floor(key / (predicted.count + 1)), key % (predicted.count + 1)];
    found.anyOverlap.add(a);
    matched.anyOverlap.add(b);
    if (n / (truthSize[a] + predictedSize[b] - n) >= STRICT_IOU) {
      found.iou.add(a);
      matched.iou.add(b);
    }
  }
  const of = (rule: Rule) => ({ found: found[rule].size, lesions: truth.count, falsePositives: predicted.count - matched[rule].size });
  return { anyOverlap: of('anyOverlap'), iou: of('iou') };
}

async function readRun(db: Db, runId: string, arm: string, seed: number, storedDice: ReadonlyMap<string, number>): Promise<RunReading> {
  const run = await findRun(db, runId);
  if (!run?.split || !run.plan) throw new Error(`run ${runId} has no split or plan`);
  const { plan } = run;
  const config = parseRunConfig(run.config);
  const { cacheDir, runsDir } = loadConfig();
  const refs = casesOf(await describeDataset(db, run.dataset.name), run.split);
  const net = buildUNet({ ...config.model, classes: plan.classes, inputSize: config.sampling.patchSize }, { seed: config.seed });
  await restoreWeights(path.join(runsDir, runId), 'best', net.model);
  const segment = (split: typeof refs.test, keep: number[]) => {
    const labelOf = new Map(split.map((r) => [r.seriesInstanceUid, r.labelPath as string]));
    return evaluateCases(net.model, preprocessAll(split, plan, cacheDir), {
      inputSlices: config.model.inputSlices,
      classes: plan.classes,
      multiple: 2 ** config.model.depth,
      mirror: config.inference.mirror,
      sourceGrid: true,
      truth: (c) => readVolume(labelOf.get(c.seriesInstanceUid) as string).data as Uint8Array,
      keepProbabilities: keep,
    });
  };
  const { targets } = runTargets(config);
  const results = segment(refs.test, [...new Set([cls, ...Object.keys(targets).map(Number)])]);
  const validation = Object.keys(targets).length ? segment(refs.validation, Object.keys(targets).map(Number)) : [];
  const started = performance.now();
  const recalibrated = validation.length ? calibrateOperatingPoint(validation, targets, config.operatingPoint) : null;
  const budgeted = validation.length && maxFp !== undefined ? calibrateOperatingPoint(validation, targets, { ...config.operatingPoint, maxFalsePositivesPerCase: maxFp }) : recalibrated;
  console.error(`calibrated ${arm} seed ${seed} on ${validation.length} validation cases in ${Math.round(performance.now() - started)} ms`);
  net.model.dispose();
  const point = run.operatingPoint?.[String(cls)];
  const threshold = point?.threshold ?? null;
  const differing: string[] = [];
  const cases = results.map((r) => {
    const truth = r.truth as Uint8Array;
    const probabilities = r.probabilities?.get(cls) as Float32Array;
    const calibratedLabels = point ? labelsAtOperatingPoint(r.prediction, r.probabilities as Map<number, Float32Array>, { [cls]: point }, r.geometry.size) : r.prediction;
    const calibrated = classMetrics(truth, calibratedLabels, cls, r.geometry);
    const recalibratedLabels = labelsAtOperatingPoint(r.prediction, r.probabilities as Map<number, Float32Array>, recalibrated, r.geometry.size);
    const budgetedLabels = labelsAtOperatingPoint(r.prediction, r.probabilities as Map<number, Float32Array>, budgeted, r.geometry.size);
    const was = storedDice.get(r.seriesInstanceUid);
    if (was === undefined || Math.abs(was - calibrated.dice) > 1e-6) differing.push(`${r.seriesInstanceUid}: ${calibrated.dice} against ${was} stored`);
    // Components (26-connectivity) of the voxels a rule marks: the lesions, then each reading's prediction.
    const componentsWhere = <T extends number>(values: ArrayLike<T> & Iterable<T>, marked: (v: T) => boolean) =>
      connectedComponents(
        Uint8Array.from(values, (v) => (marked(v) ? 1 : 0)),
        r.geometry.size,
      );
    const lesions = componentsWhere(truth, (v) => v === cls);
    const sweep = SWEEP.map((t) =>
      detections(
        lesions,
        componentsWhere(probabilities, (p) => p >= t),
      ),
    );
    const counted = (labels: Uint8Array) =>
      detections(
        lesions,
        componentsWhere(labels, (v) => v === cls),
      );
    return {
      key: `${seed}/${r.seriesInstanceUid}`,
      argmax: r.metrics[cls] as ClassMetrics,
      calibrated,
      recalibrated: classMetrics(truth, recalibratedLabels, cls, r.geometry),
      budgeted: classMetrics(truth, budgetedLabels, cls, r.geometry),
      sweep,
      curve: caseDetectionCurve(truth, probabilities, cls, r.geometry.size),
      rules: { argmax: counted(r.prediction), calibrated: counted(calibratedLabels), recalibrated: counted(recalibratedLabels), budgeted: counted(budgetedLabels) },
    };
  });
  return {
    arm,
    seed,
    runId,
    threshold,
    outlineThreshold: point?.outlineThreshold ?? null,
    storedDiceReproduced: differing.length ? differing : true,
    recalibrated: summarizePoint(recalibrated),
    budgeted: summarizePoint(budgeted),
    cases,
  };
}

const share = (d: { found: number; lesions: number }) => (d.lesions ? d.found / d.lesions : null);

const PAIRED: { name: string; read: (c: CaseReading) => number | null }[] = [
  { name: 'argmax voxel sensitivity', read: (c) => c.argmax.sensitivity },
  { name: 'argmax lesions found (share)', read: (c) => c.argmax.detectionSensitivity },
  { name: 'argmax Dice', read: (c) => c.argmax.dice },
  { name: 'calibrated voxel sensitivity', read: (c) => c.calibrated.sensitivity },
  { name: 'calibrated lesions found (share)', read: (c) => c.calibrated.detectionSensitivity },
  { name: 'calibrated Dice', read: (c) => c.calibrated.dice },
  { name: 'argmax lesions found, IoU >= 0.1 (share)', read: (c) => share(c.rules.argmax.iou) },
  { name: 'calibrated lesions found, IoU >= 0.1 (share)', read: (c) => share(c.rules.calibrated.iou) },
  { name: 'recalibrated Dice', read: (c) => c.recalibrated.dice },
  { name: 'recalibrated lesions found (share)', read: (c) => c.recalibrated.detectionSensitivity },
  { name: 'recalibrated lesions found, IoU >= 0.1 (share)', read: (c) => share(c.rules.recalibrated.iou) },
  { name: 'budgeted Dice', read: (c) => c.budgeted.dice },
  { name: 'budgeted lesions found (share)', read: (c) => c.budgeted.detectionSensitivity },
];

const out = await withDb(async (db) => {
  const study = await findStudy(db, studyId);
  if (!study) throw new Error(`study ${studyId} does not exist`);
  await selectBackend(loadConfig().backend);
  const runs = (await studyRuns(db, study.id)).filter((r) => r.status === 'completed');
  const readings: RunReading[] = [];
  for (const r of runs) {
    const storedDice = new Map(r.caseMetrics.filter((m) => m.classIndex === cls).map((m) => [m.seriesInstanceUid, m.dice]));
    readings.push(await readRun(db, r.id, r.studyArm ?? '?', r.seed, storedDice));
    console.error(`read ${r.studyArm} seed ${r.seed} (${readings.length}/${runs.length})`);
  }
  const arms = [...new Set(readings.map((r) => r.arm))].sort((a, b) => Number(b === study.referenceArm) - Number(a === study.referenceArm));
  const casesOf = (arm: string) => readings.filter((r) => r.arm === arm).flatMap((r) => r.cases);
  const pairs = arms.flatMap((reference, i) => arms.slice(i + 1).map((arm) => [arm, reference] as const));
  const comparisons = pairs.flatMap(([arm, referenceArm]) =>
    PAIRED.map((m) => {
      const reference = new Map(casesOf(referenceArm).map((c) => [c.key, m.read(c)]));
      const differences = casesOf(arm).flatMap((c) => {
        const [a, b] = [m.read(c), reference.get(c.key)];
        return a === null || b === null || b === undefined ? [] : [a - b];
      });
      const mean = bootstrapMean(differences, { seed: 1 });
      return { arm, against: referenceArm, metric: m.name, n: differences.length, meanDifference: r3(mean?.mean), ci: mean ? mean.ci.map(r3) : null, p: wilcoxonSignedRank(differences)?.p ?? 1 };
    }),
  );
  const adjusted = holmAdjust(comparisons.map((c) => c.p));
  return {
    study: study.id,
    name: study.name,
    class: cls,
    reference: study.referenceArm,
    arms: arms.map((arm) => {
      const rs = readings.filter((r) => r.arm === arm);
      const cases = rs.flatMap((r) => r.cases);
      return {
        arm,
        argmax: pooled(cases.map((c) => c.argmax)),
        calibrated: pooled(cases.map((c) => c.calibrated)),
        recalibrated: pooled(cases.map((c) => c.recalibrated)),
        budgeted: pooled(cases.map((c) => c.budgeted)),
        byRule: Object.fromEntries(
          READINGS.map((point) => [
            point,
            Object.fromEntries(
              RULES.map((rule) => {
                const n = (k: 'found' | 'lesions' | 'falsePositives') => cases.reduce((sum, c) => sum + c.rules[point][rule][k], 0);
                return [rule, { lesionsFound: `${n('found')}/${n('lesions')}`, falsePositiveComponents: n('falsePositives') }];
              }),
            ),
          ]),
        ),
        froc: Object.fromEntries(RULES.map((rule) => [rule, froc(cases, rule)])),
        productFroc: productFroc(cases),
        runs: rs.map((r) => ({
          seed: r.seed,
          run: r.runId,
          threshold: r.threshold,
          outlineThreshold: r.outlineThreshold,
          recalibratedPoint: r.recalibrated,
          budgetedPoint: r.budgeted,
          storedDiceReproduced: r.storedDiceReproduced,
          argmax: pooled(r.cases.map((c) => c.argmax)),
          calibrated: pooled(r.cases.map((c) => c.calibrated)),
          recalibrated: pooled(r.cases.map((c) => c.recalibrated)),
          budgeted: pooled(r.cases.map((c) => c.budgeted)),
          froc: Object.fromEntries(RULES.map((rule) => [rule, froc(r.cases, rule).atFalsePositivesPerCase])),
          productFroc: productFroc(r.cases),
        })),
      };
    }),
    comparisons: comparisons.map((c, i) => ({ ...c, p: r3(c.p), pHolm: r3(adjusted[i]) })),
    correction: `Holm-Bonferroni over ${comparisons.length} comparisons`,
  };
});
console.log(JSON.stringify(out, null, 1));
