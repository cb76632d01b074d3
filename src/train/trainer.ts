import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../backend/selectBackend.js';
import type { Db } from '../db/client.js';
import { discardAfterEpoch, finishRun, findRun, heartbeat, markRunning, saveCaseMetrics, saveEpoch, saveRunManifests, saveTraces, upsertArtifact, type CaseMetricRecord, type StoredRun, type TraceRecord } from '../db/runs.js';
import { describeDataset } from '../data/datasetInfo.js';
import { PatchSampler } from '../data/patchSampler.js';
import type { PreprocessingPlan } from '../data/preprocessPlan.js';
import type { PreprocessedCase } from '../data/preprocess.js';
import { FileSlices } from '../data/volumeSlices.js';
import { readVolume, readVolumeHeader, writeVolume } from '../data/volumeCache.js';
import { createFusionStrategy } from '../fusion/registry.js';
import type { FusionStrategy } from '../fusion/strategy.js';
import { buildUNet, type UNet } from '../model/unet.js';
import { Random } from '../util/random.js';
import { createAdam } from './adam.js';
import { restoreOptimizer, restoreWeights, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { evaluateCases, summarize, type CaseResult } from './evaluate.js';
import { describeScore } from './selection.js';
import { FROC_THRESHOLDS, type OperatingPoint } from './operatingPoint.js';
import { calibrateOperatingPoint, isValidationEpoch, judgeEpoch, NOT_VALIDATED, relabel } from './validation.js';
import { bootstrapPooledRatio } from '../metrics/bootstrap.js';
import { froc } from '../metrics/froc.js';
import type { TrainingEvent } from './events.js';
import { buildLosses, parseRunConfig, RunConfigError, runTargets, type RunConfig } from './runConfig.js';
import { learningRateAt } from './schedule.js';
import { casesOf, drawSplit, planFor, preprocessAll, type SplitCases } from './trainingData.js';
import { trainStep, type NamedLoss } from './trainStep.js';
import { cacheName } from '../util/safeName.js';

export interface ExecuteOptions {
  /** Continue from the latest checkpoint instead of starting over. */
  resume: boolean;
  cacheDir: string;
  runsDir: string;
  backend?: BackendChoice;
  onEvent?: (e: TrainingEvent) => void;
  /**
   * Polled before every batch; true stops the run cleanly (status "cancelled", resumable); 'lost' stops
   * it without writing anything (its job now belongs to another worker).
   */
  shouldStop?: () => boolean | 'lost' | Promise<boolean | 'lost'>;
  /** The worker running it (host:pid/slot), recorded on the run. */
  workerId?: string;
}

export interface RunOutcome {
  runId: string;
  /** 'lost': the worker lost its lease and stopped; another worker continues the run. */
  status: 'completed' | 'cancelled' | 'failed' | 'lost';
  error?: string;
}

/** The run cannot do what was asked in its current state (e.g. resume a completed run). */
export class RunStateError extends Error {
  override name = 'RunStateError';
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
  constructor(readonly runId: string) {
    super(`run ${runId} does not exist (see: segfusion runs list)`);
  }
}

/** Batch traces kept per run, at most: longer runs keep every k-th batch. */
const MAX_TRACES = 2000;

const versions = () => ({
  segfusion: (createRequire(import.meta.url)('../../package.json') as { version: string }).version,
  node: process.version,
  tfjs: tf.version.tfjs,
});

export const runDir = (runsDir: string, runId: string) => path.join(runsDir, runId);

/** The sensitivity each target class reaches on test with its threshold: pooled over cases, with a 95 % bootstrap CI; and the class's FROC on test. */
function testOperatingPoint(op: OperatingPoint, test: CaseResult[], seed: number): void {
  for (const [c, p] of Object.entries(op)) {
    const cases = test.flatMap((r) => {
      const m = r.metrics[Number(c)];
      if (!m) return [];
      if (p.basis === 'lesion') return m.lesions > 0 ? [{ num: m.lesionsFound, den: m.lesions }] : [];
      return m.groundTruthVoxels > 0 ? [{ num: Math.round((m.sensitivity ?? 0) * m.groundTruthVoxels), den: m.groundTruthVoxels }] : [];
    });
    const b = bootstrapPooledRatio(cases, { seed });
    // Named by series, so that a study can pair this run's cases with another arm's (frocComparison.ts).
    const curves = test.flatMap((r) => {
      const curve = r.detectionCurves?.get(Number(c));
      return curve ? [{ ...curve, id: r.seriesInstanceUid }] : [];
    });
    const f = froc(FROC_THRESHOLDS, curves, { seed });
    p.test = b ? { sensitivity: b.estimate, ci: b.ci, n: b.n, ...(f ? { froc: f } : {}) } : null;
  }
}

/**
 * Executes (or resumes) a stored run: split and preprocessing plan (recorded), patch sampling, the
 * Adam loop with the fused loss and its per-batch weights, validation on whole volumes each epoch,
 * checkpoints (latest and best) each epoch, early stopping, then the test evaluation of the best
 * checkpoint on each series' own grid. Errors end the run as "failed" with the message stored.
 */
export async function executeRun(db: Db, runId: string, o: ExecuteOptions): Promise<RunOutcome> {
  const run = await findRun(db, runId);
  if (!run) throw new RunNotFoundError(runId);
  if (run.status === 'running') throw new RunStateError(`run ${runId} is already running (pid ${run.pid} on ${run.host})`);
  if (run.status === 'completed') throw new RunStateError(`run ${runId} has already completed`);
  const emit = (e: TrainingEvent) => o.onEvent?.(e);
  const backend = await selectBackend(o.backend);
  await markRunning(db, runId, { backend: JSON.stringify(backend), versions: JSON.stringify(versions()), workerId: o.workerId ?? null });
  emit({ type: 'status', runId, status: 'running', message: `${o.resume ? 'resuming' : 'starting'} on the ${backend.choice} backend` });
  try {
    return await train(db, run, o, emit);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await finishRun(db, runId, 'failed', { error });
    emit({ type: 'status', runId, status: 'failed', message: error });
    return { runId, status: 'failed', error };
  }
}

/** Everything a run trains and evaluates with, built once by setUpRun. */
interface RunSetup {
  config: RunConfig;
  dir: string;
  refs: SplitCases;
  plan: PreprocessingPlan;
  trainCases: PreprocessedCase[];
  valCases: PreprocessedCase[];
  testCases: PreprocessedCase[];
  classes: number;
  net: UNet;
  losses: NamedLoss[];
  lossNames: string[];
  /** The run's sensitivity targets (run-level, or the strategy's own). */
  targets: Record<string, number>;
  fusion: FusionStrategy;
  optimizer: tf.AdamOptimizer;
  sampler: PatchSampler;
  evalOptions: { inputSlices: number; classes: number; multiple: number; mirror: boolean };
}

/** Phase 1: split and preprocessing plan (recorded), preprocessed cases, model, losses, strategy, sampler. */
async function setUpRun(db: Db, run: StoredRun, o: ExecuteOptions, emit: (e: TrainingEvent) => void): Promise<RunSetup> {
  const config = parseRunConfig(run.config);
  const dir = runDir(o.runsDir, run.id);
  fs.mkdirSync(dir, { recursive: true });
  const info = await describeDataset(db, run.dataset.name);
  const split = o.resume && run.split ? run.split : drawSplit(info, config);
  const refs = casesOf(info, split);
  const plan = o.resume && run.plan ? run.plan : planFor(info, refs, config);
  await saveRunManifests(db, run.id, { split: JSON.stringify(split), plan: JSON.stringify(plan) });
  const prepared = preprocessAll([...refs.train, ...refs.validation, ...refs.test], plan, o.cacheDir, (done, total) => emit({ type: 'preprocess', runId: run.id, done, total }));
  const ofSplit = (r: typeof refs.train) => prepared.filter((c) => r.some((x) => x.seriesInstanceUid === c.seriesInstanceUid));
  const trainCases = ofSplit(refs.train);
  const classes = plan.classes;
  if (config.selection.class !== undefined && config.selection.class >= plan.classNames.length) {
    throw new RunConfigError(`run config: selection.class: class ${config.selection.class} is not a label of dataset ${config.dataset} (${plan.classNames.map((n, c) => `${c} ${n}`).join(', ')})`);
  }
  const losses = buildLosses(config);
  const lossNames = losses.map((l) => l.name);
  // The run's sensitivity targets drive the strategy (where it takes them), checkpoint selection and the operating point.
  const { targets, fusion: fusionConfig } = runTargets(config);
  const sampler = new PatchSampler(
    trainCases.map((c) => ({ seriesInstanceUid: c.seriesInstanceUid, image: new FileSlices<Float32Array>(c.imagePath), label: new FileSlices<Uint8Array>(c.labelPath as string), padValue: c.padValue })),
    { ...config.sampling, inputSlices: config.model.inputSlices, classes },
    config.seed,
  );
  return {
    config,
    dir,
    refs,
    plan,
    trainCases,
    valCases: ofSplit(refs.validation),
    testCases: ofSplit(refs.test),
    classes,
    net: buildUNet({ ...config.model, classes, inputSize: config.sampling.patchSize }, { seed: config.seed }),
    losses,
    lossNames,
    targets,
    fusion: createFusionStrategy(lossNames, fusionConfig),
    optimizer: createAdam(config.optimizer.learningRate),
    sampler,
    evalOptions: { inputSlices: config.model.inputSlices, classes, multiple: 2 ** config.model.depth, mirror: config.inference.mirror },
  };
}

async function train(db: Db, run: StoredRun, o: ExecuteOptions, emit: (e: TrainingEvent) => void): Promise<RunOutcome> {
  const runId = run.id;
  const setup = await setUpRun(db, run, o, emit);
  const { config, dir, plan, classes, net, losses, lossNames, fusion, optimizer, sampler } = setup;

  let state: CheckpointState = { format: 'segfusion-checkpoint', version: 1, epoch: -1 as number, step: 0, rng: new Random(config.seed).snapshot(), fusion: null, bestEpoch: null, bestDice: null, epochsSinceBest: 0, durationMs: 0 };
  if (o.resume) {
    state = await restoreWeights(dir, 'latest', net.model);
    await restoreOptimizer(dir, optimizer);
    fusion.restore(state.fusion);
    await discardAfterEpoch(db, runId, state.epoch);
  } else await discardAfterEpoch(db, runId, -1);
  const rng = Random.fromSnapshot(state.rng);
  const totalSteps = config.epochs * config.batchesPerEpoch;
  const traceEvery = Math.max(1, Math.ceil(totalSteps / MAX_TRACES));
  const attemptStart = Date.now();
  const stepsAtStart = state.step;
  let step = state.step;
  let lastHeartbeat = Date.now();
  let lastFlush = Date.now();
  const named = (values: number[]) => Object.fromEntries(lossNames.map((n, i) => [n, values[i]]));

  for (let epoch = state.epoch + 1; epoch < config.epochs; epoch++) {
    const epochStart = Date.now();
    const traces: TraceRecord[] = [];
    const sums = { loss: 0, terms: lossNames.map(() => 0), weights: lossNames.map(() => 0) };
    let lr = 0;
    for (let b = 0; b < config.batchesPerEpoch; b++) {
      // One turn of the event loop per batch: signals (Ctrl-C), timers and I/O are otherwise starved by
      // the synchronous training step, and a cancel would never be seen.
      await new Promise((resolve) => setImmediate(resolve));
      const stop = await o.shouldStop?.();
      if (stop === 'lost') {
        emit({ type: 'status', runId, status: 'interrupted', message: `stopped at epoch ${epoch + 1}, batch ${b + 1}: this worker's lease on the job ended and another worker continues the run` });
        net.model.dispose();
        return { runId, status: 'lost' };
      }
      if (stop) {
        await finishRun(db, runId, 'cancelled', { durationMs: Math.round(state.durationMs + Date.now() - attemptStart), error: `cancelled during epoch ${epoch + 1}; resume continues after epoch ${state.epoch + 1}` });
        emit({ type: 'status', runId, status: 'cancelled', message: `cancelled at epoch ${epoch + 1}, batch ${b + 1}` });
        net.model.dispose();
        return { runId, status: 'cancelled' };
      }
      lr = learningRateAt(step, { ...config.optimizer, epochs: config.epochs, batchesPerEpoch: config.batchesPerEpoch });
      // tfjs keeps Adam's rate in a plain field that applyGradients reads on every step.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const batch = sampler.batch(rng);
      const p = config.sampling.patchSize;
      const n = config.sampling.batchSize;
      const x = tf.tensor4d(batch.x, [n, p, p, config.model.inputSlices]);
      const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(Int32Array.from(batch.y), 'int32'), classes), [n, p, p, classes]) as tf.Tensor4D);
      const r = trainStep(net, losses, fusion, optimizer, x, y, epoch, step);
      tf.dispose([x, y]);
      if (!Number.isFinite(r.loss)) throw new RunStateError(`the fused loss became ${r.loss} at epoch ${epoch + 1}, batch ${b + 1} (terms ${r.terms.join(', ')}); lower the learning rate`);
      sums.loss += r.loss;
      r.terms.forEach((t, i) => (sums.terms[i] += t));
      r.weights.forEach((w, i) => (sums.weights[i] += w));
      if (step % traceEvery === 0) traces.push({ step, epoch, learningRate: lr, loss: r.loss, terms: r.terms, weights: r.weights, classWeights: r.classWeights, sensitivity: r.sensitivity });
      step++;
      const perStep = (Date.now() - attemptStart) / (step - stepsAtStart);
      // The batch's own step (from 0), as the stored traces number it.
      emit({
        type: 'batch',
        runId,
        epoch,
        epochs: config.epochs,
        batch: b,
        batchesPerEpoch: config.batchesPerEpoch,
        step: step - 1,
        learningRate: lr,
        loss: r.loss,
        terms: named(r.terms),
        weights: named(r.weights),
        classWeights: r.classWeights,
        sensitivity: r.sensitivity,
        etaMs: perStep * (totalSteps - step),
      });
      // The epoch's traces so far reach the database every few seconds, so that a page opened (or
      // reloaded) mid-epoch has every batch; a resume discards those after its checkpoint.
      if (Date.now() - lastFlush > 5_000) {
        await saveTraces(db, runId, traces.splice(0));
        lastFlush = Date.now();
      }
      if (Date.now() - lastHeartbeat > 15_000) {
        await heartbeat(db, runId);
        lastHeartbeat = Date.now();
      }
    }
    state = await closeEpoch(db, setup, runId, { epoch, step, rng, lr, sums, traces, epochStart, attemptStart }, state, emit);
    // Only after a validation: before the first there is no best checkpoint to fall back on.
    if (isValidationEpoch(epoch, config) && config.patience > 0 && state.epochsSinceBest >= config.patience) {
      emit({
        type: 'status',
        runId,
        status: 'running',
        message: `early stopping: no validation improvement for ${config.patience} epochs (best epoch ${(state.bestEpoch ?? -1) + 1}: ${describeScore(state.bestScore ?? null, config.selection, plan.classNames)})`,
      });
      break;
    }
  }

  await evaluateAndFinish(db, setup, runId, state, Math.round(state.durationMs + Date.now() - attemptStart), emit);
  return { runId, status: 'completed' };
}

/** A split's ground truth on each series' own grid, read when a case is evaluated (not kept: a CT's label volume is tens of MB). */
const sourceTruth = (refsOf: SplitCases['train']) => (c: PreprocessedCase) => readVolume(refsOf.find((r) => r.seriesInstanceUid === c.seriesInstanceUid)?.labelPath as string).data as Uint8Array;

/**
 * Phase 3: the best checkpoint on each series' own grid. With targets, validation is segmented once with
 * every probability kept, the operating point calibrated on it and validation re-thresholded; then the
 * test split at those thresholds. Predictions, per-case metrics and the test summary are stored.
 */
async function evaluateAndFinish(db: Db, setup: RunSetup, runId: string, state: CheckpointState, durationMs: number, emit: (e: TrainingEvent) => void): Promise<void> {
  const { config, dir, refs, plan, valCases, testCases, classes, net, targets, evalOptions } = setup;
  await restoreWeights(dir, 'best', net.model);
  const validationOptions = { ...evalOptions, sourceGrid: true, truth: sourceTruth(refs.validation), onProgress: (done: number, total: number) => emit({ type: 'evaluate', runId, split: 'validation', done, total }) };
  const calibration = Object.keys(targets).length
    ? evaluateCases(net.model, valCases, { ...validationOptions, keepProbabilities: Object.keys(targets).map(Number), onProgress: (done, total) => emit({ type: 'evaluate', runId, split: 'calibration', done, total }) })
    : null;
  const operatingPoint = calibration ? calibrateOperatingPoint(calibration, targets, config.operatingPoint) : null;
  const evaluated: { split: 'validation' | 'test'; results: CaseResult[] }[] = [
    { split: 'validation', results: calibration ? relabel(calibration, classes, operatingPoint) : evaluateCases(net.model, valCases, validationOptions) },
    {
      split: 'test',
      results: evaluateCases(net.model, testCases, {
        ...evalOptions,
        sourceGrid: true,
        operatingPoint,
        detectionCurves: Object.keys(targets).map(Number),
        truth: sourceTruth(refs.test),
        onProgress: (done, total) => emit({ type: 'evaluate', runId, split: 'test', done, total }),
      }),
    },
  ];
  if (operatingPoint) testOperatingPoint(operatingPoint, evaluated[1].results, config.seed);
  net.model.dispose();
  const rows: CaseMetricRecord[] = [];
  for (const { split: s, results } of evaluated) {
    for (const r of results) {
      const file = writeVolume(path.join(dir, 'predictions'), cacheName(r.seriesInstanceUid, 'prediction'), 'label', r.geometry, r.prediction);
      await upsertArtifact(db, runId, { kind: 'prediction', name: r.seriesInstanceUid, path: file, sha256: readVolumeHeader(file).sha256, bytes: r.prediction.length, epoch: state.bestEpoch });
      r.metrics.forEach((m, cls) => {
        if (m) rows.push({ split: s, seriesInstanceUid: r.seriesInstanceUid, patientId: r.patientId, classIndex: cls, className: plan.classNames[cls], ...m });
      });
    }
  }
  await saveCaseMetrics(db, runId, rows);
  const testSummary = summarize(evaluated[1].results, plan.classNames);
  await finishRun(db, runId, 'completed', { testSummary: JSON.stringify(testSummary), operatingPoint: operatingPoint ? JSON.stringify(operatingPoint) : null, durationMs, error: null });
  emit({ type: 'status', runId, status: 'completed', message: `best epoch ${(state.bestEpoch ?? -1) + 1}: ${describeScore(state.bestScore ?? null, config.selection, plan.classNames)}; mean foreground Dice ${state.bestDice?.toFixed(3)}` });
}

/** An epoch's figures as the batch loop leaves them, for closeEpoch. */
interface EpochTally {
  epoch: number;
  step: number;
  rng: Random;
  lr: number;
  sums: { loss: number; terms: number[]; weights: number[] };
  traces: TraceRecord[];
  epochStart: number;
  attemptStart: number;
}

/**
 * Phase 2's end of an epoch: its judgement where it is a validation epoch, the epoch's record and
 * remaining traces, both checkpoints. Returns the new state.
 */
async function closeEpoch(db: Db, setup: RunSetup, runId: string, t: EpochTally, previous: CheckpointState, emit: (e: TrainingEvent) => void): Promise<CheckpointState> {
  const { config, dir, lossNames, fusion, optimizer, net } = setup;
  const { epoch, step, rng, lr, sums, traces, epochStart, attemptStart } = t;
  const named = (values: number[]) => Object.fromEntries(lossNames.map((n, i) => [n, values[i]]));
  // Checkpoints of runs from before the selection rule hold only the best mean Dice.
  const bestScore = previous.bestScore ?? (previous.bestDice === null ? null : { meetsTargets: true, value: previous.bestDice, missed: [] });
  const { valDice, valMetrics, score, improved } = isValidationEpoch(epoch, config)
    ? judgeEpoch(net.model, setup.valCases, {
        config,
        // On each series' own grid, as the final calibration and the test: judged on the plan's grid, a
        // lesion whose peak barely reached 0.001 there met the target, and the best checkpoint's final
        // calibration then said it could not be met (cohort 8484, docs/loss-fusion.md).
        evalOptions: { ...setup.evalOptions, sourceGrid: true, truth: sourceTruth(setup.refs.validation) },
        classNames: setup.plan.classNames,
        targets: setup.targets,
        epoch,
        previous: previous.lastScore ?? null,
        best: bestScore,
        onProgress: (done, total) => emit({ type: 'evaluate', runId, split: 'validation', done, total }),
        onCaution: (message) => emit({ type: 'status', runId, status: 'running', message }),
      })
    : NOT_VALIDATED;
  const mean = (v: number) => v / config.batchesPerEpoch;
  const durationMs = Math.round(previous.durationMs + Date.now() - attemptStart);
  const state: CheckpointState = {
    ...previous,
    epoch,
    step,
    rng: rng.snapshot(),
    fusion: fusion.state(),
    bestEpoch: improved ? epoch : previous.bestEpoch,
    bestDice: improved ? valDice : previous.bestDice,
    bestScore: improved ? score : bestScore,
    lastScore: score ?? previous.lastScore ?? null,
    epochsSinceBest: improved ? 0 : previous.epochsSinceBest + 1,
  };
  await saveEpoch(db, runId, { epoch, learningRate: lr, loss: mean(sums.loss), terms: named(sums.terms.map(mean)), weights: named(sums.weights.map(mean)), valDice, valMetrics, durationMs: Date.now() - epochStart }, traces, {
    epochsDone: epoch + 1,
    bestEpoch: state.bestEpoch,
    bestDice: state.bestDice,
    durationMs,
  });
  const saved = await saveCheckpoint(dir, net.model, optimizer, { ...state, durationMs: previous.durationMs + (Date.now() - attemptStart) }, improved);
  await upsertArtifact(db, runId, { kind: 'checkpoint-latest', name: 'latest', path: saved.dir, sha256: saved.sha256, bytes: saved.bytes, epoch });
  if (improved) await upsertArtifact(db, runId, { kind: 'checkpoint-best', name: 'best', path: saved.dir, sha256: saved.sha256, bytes: saved.bytes, epoch });
  emit({ type: 'epoch', runId, epoch, loss: mean(sums.loss), valDice, best: improved, valMetrics });
  return state;
}
