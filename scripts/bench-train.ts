/**
 * npm run bench:train: milliseconds per training step (forward, fused loss, backward, Adam) of the
 * reference 2D U-Net (depth 4, 16 base filters, batch 8 of 1x128x128, 3 classes) on wasm-native (the
 * oneDNN kernels, where built) and plain wasm, or on SEGFUSION_BACKEND alone, next to the same model and
 * step in PyTorch on CPU with the same thread count (SEGFUSION_THREADS, default the machine's cores).
 * --rounds interleaved rounds (default 3) each time every side, medians over --steps steps after
 * --warmup; the JSON has every round's figures and ratio, and the ten costliest kernels of one native
 * step (tf.profile). --with-cpu also times the pure-JS cpu backend once (minutes per step).
 *
 * Beside the step times it prints the step's convolution work (gflopPerStep, src/model/convFlops.ts), the
 * throughput each side reaches over the whole step, and each side's forward 3x3 convolution throughput
 * on one reference layer (convGflops, torchConvGflops). floorRatio is the ratio this backend would reach
 * if every convolution of the step, forward and backward, ran at its reference-layer speed and nothing
 * else took any time: a lower bound set by the backend's GEMM kernels, not by SegFusion's code.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from '../src/backend/nativeAddon.js';
import { selectBackend, type BackendChoice } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { createFusionStrategy } from '../src/fusion/registry.js';
import { createDiceLoss } from '../src/losses/dice.js';
import { createFocalLoss } from '../src/losses/focal.js';
import { convFlops } from '../src/model/convFlops.js';
import { buildUNet } from '../src/model/unet.js';
import { createAdam } from '../src/train/adam.js';
import { trainStep } from '../src/train/trainStep.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '8' },
    size: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    'with-cpu': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const batch = Number(values.batch);
const size = Number(values.size);
const classes = 3;
const threads = loadConfig().threads;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The reference step's model, losses (Dice + focal, static weights), Adam and one fixed batch. */
function referenceStep() {
  const net = buildUNet({ classes, inputSize: size, depth: 4, baseFilters: 16 });
  const losses = [
    { name: 'dice', fn: createDiceLoss() },
    { name: 'focal', fn: createFocalLoss({ gamma: 2 }) },
  ];
  const strategy = createFusionStrategy(
    losses.map((l) => l.name),
    { strategy: 'static' },
  );
  const optimizer = createAdam(1e-3);
  const x = tf.randomNormal([batch, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.randomUniform([batch * size * size], 0, classes, 'int32', 2), classes), [batch, size, size, classes]) as tf.Tensor4D);
  return {
    net,
    step: (i: number) => trainStep(net, losses, strategy, optimizer, x, y, 0, i),
    dispose: () => {
      tf.dispose([x, y]);
      net.model.dispose();
      optimizer.dispose();
    },
  };
}

async function timeBackend(choice: BackendChoice | undefined, n: number, w: number) {
  const report = await selectBackend(choice, { threads });
  const ref = referenceStep();
  const times: number[] = [];
  for (let i = 0; i < w + n; i++) {
    const t0 = performance.now();
    ref.step(i);
    if (i >= w) times.push(performance.now() - t0);
  }
  const flops = convFlops(ref.net.model, [batch, size, size, 1]).training;
  const params = ref.net.parameters;
  ref.dispose();
  return { report, params, msPerStep: median(times), flops };
}

/** Median milliseconds of one forward 3x3 convolution, batch x (size/2)² x 32 -> 32 channels. */
function timeReferenceConv(n: number, w: number): number {
  const x = tf.randomNormal([batch, size / 2, size / 2, 32], 0, 1, 'float32', 3) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 32, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
  const times: number[] = [];
  for (let i = 0; i < w + 2 * n; i++) {
    const t0 = performance.now();
    const out = tf.conv2d(x, filter, 1, 'same');
    // One element read back waits for asynchronous backends without timing a full download.
    tf.tidy(() => tf.slice(out, [0, 0, 0, 0], [1, 1, 1, 1]).dataSync());
    if (i >= w) times.push(performance.now() - t0);
    out.dispose();
  }
  tf.dispose([x, filter]);
  return median(times);
}

const referenceConvFlops = 2 * batch * (size / 2) ** 2 * 9 * 32 * 32;
const gflops = (flops: number, ms: number) => Number((flops / ms / 1e6).toFixed(1));

/** The ten kernels of one reference step that take the most time in total, by tf.profile. */
async function profileStep(): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const ref = referenceStep();
  ref.step(0);
  const info = await tf.profile(() => {
    ref.step(1);
  });
  const by = new Map<string, { ms: number; calls: number }>();
  // Op scopes ("fusedConv2d__op", customGrad's "unnamed scope") wrap kernels that are counted themselves.
  for (const k of info.kernels.filter((k) => !k.name.endsWith('__op') && k.name !== 'unnamed scope')) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    by.set(k.name, e);
  }
  ref.dispose();
  return [...by.entries()]
    .map(([kernel, e]) => ({ kernel, ms: Number(e.ms.toFixed(1)), calls: e.calls }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
}

const torchStep = () =>
  JSON.parse(execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'bench_train_torch.py'), String(batch), String(size), String(classes), String(steps), String(warmup), String(threads)], { encoding: 'utf8' })) as {
    params: number;
    msPerStep: number;
    convMs: number;
    torch: string;
  };

// The forced backend alone, or, by default, wasm-native (where the addon is built) and plain wasm; each
// round times every side once, PyTorch included, so that the machine's load falls on all of them alike.
const forced = loadConfig().backend;
const nativeAvailable = loadNativeAddon().addon !== null;
const sides: BackendChoice[] = forced ? [forced] : nativeAvailable ? ['wasm-native', 'wasm'] : ['wasm'];
const perRound: Record<string, number[]> = Object.fromEntries([...sides, 'pytorch'].map((s) => [s, []]));
const convPerRound: Record<string, number[]> = Object.fromEntries([...sides, 'pytorch'].map((s) => [s, []]));
let flops = 0;
let params = 0;
let torchInfo = { params: 0, torch: '' };
const reports: Record<string, unknown> = {};
for (let r = 0; r < rounds; r++) {
  for (const side of sides) {
    const t = await timeBackend(side, steps, warmup);
    perRound[side].push(t.msPerStep);
    convPerRound[side].push(timeReferenceConv(steps, warmup));
    flops = t.flops;
    params = t.params;
    reports[side] = { version: t.report.version, threads: t.report.threads ?? null, ...(t.report.kernels ? { kernels: t.report.kernels } : {}) };
  }
  const torch = torchStep();
  perRound.pytorch.push(torch.msPerStep);
  convPerRound.pytorch.push(torch.convMs);
  torchInfo = { params: torch.params, torch: torch.torch };
}
const torchMs = median(perRound.pytorch);
const result: Record<string, unknown> = {
  params,
  torchParams: torchInfo.params,
  batch,
  inputSize: size,
  threads,
  rounds,
  gflopPerStep: Number((flops / 1e9).toFixed(2)),
  msPerStepRounds: Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, v.map(Math.round)])),
  torchMsPerStep: Math.round(torchMs),
  sides: Object.fromEntries(
    sides.map((side) => {
      const ms = median(perRound[side]);
      const convMs = median(convPerRound[side]);
      const floorMs = (flops / referenceConvFlops) * convMs;
      return [
        side,
        {
          ...(reports[side] as object),
          msPerStep: Math.round(ms),
          ratio: Number((ms / torchMs).toFixed(2)),
          ratioRounds: perRound[side].map((v, i) => Number((v / perRound.pytorch[i]).toFixed(2))),
          gflopsPerSecond: gflops(flops, ms),
          convGflops: gflops(referenceConvFlops, convMs),
          floorRatio: Number((floorMs / torchMs).toFixed(2)),
        },
      ];
    }),
  ),
  torchGflopsPerSecond: gflops(flops, torchMs),
  torchConvGflops: gflops(referenceConvFlops, median(convPerRound.pytorch)),
  target: 0.8,
  torch: torchInfo.torch,
};
if (sides.includes('wasm-native')) {
  await selectBackend('wasm-native', { threads });
  result.nativeProfile = await profileStep();
}
if (values['with-cpu']) result.cpuMsPerStep = Math.round((await timeBackend('cpu', 1, 0)).msPerStep);
console.log(JSON.stringify(result, null, 2));
