/**
 * npm run bench:train: milliseconds per training step (forward, fused loss, backward, Adam) of the
 * reference 2D U-Net (depth 4, 16 base filters, batch 8 of 1x128x128, 3 classes) on the selected
 * TF.js backend, next to the same model and step in PyTorch on CPU with the same thread count
 * (SEGFUSION_THREADS, default the machine's cores), measured in the same run; medians over --steps
 * steps after --warmup. --with-cpu also times the pure-JS cpu backend once (minutes per step). Prints JSON.
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
import { selectBackend, type BackendChoice } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { createFusionStrategy } from '../src/fusion/registry.js';
import { createDiceLoss } from '../src/losses/dice.js';
import { createFocalLoss } from '../src/losses/focal.js';
import { convFlops } from '../src/model/convFlops.js';
import { buildUNet } from '../src/model/unet.js';
import { trainStep } from '../src/train/trainStep.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '8' },
    size: { type: 'string', default: '128' },
    'with-cpu': { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const batch = Number(values.batch);
const size = Number(values.size);
const classes = 3;
const threads = loadConfig().threads;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeBackend(choice: BackendChoice | undefined, n: number, w: number) {
  const report = await selectBackend(choice, { threads });
  const net = buildUNet({ classes, inputSize: size, depth: 4, baseFilters: 16 });
  const losses = [
    { name: 'dice', fn: createDiceLoss() },
    { name: 'focal', fn: createFocalLoss({ gamma: 2 }) },
  ];
  const strategy = createFusionStrategy(
    losses.map((l) => l.name),
    { strategy: 'static' },
  );
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.randomUniform([batch * size * size], 0, classes, 'int32', 2), classes), [batch, size, size, classes]) as tf.Tensor4D);
  const times: number[] = [];
  for (let i = 0; i < w + n; i++) {
    const t0 = performance.now();
    trainStep(net, losses, strategy, optimizer, x, y, 0, i);
    if (i >= w) times.push(performance.now() - t0);
  }
  tf.dispose([x, y]);
  const flops = convFlops(net.model, [batch, size, size, 1]).training;
  net.model.dispose();
  optimizer.dispose();
  return { report, params: net.parameters, msPerStep: median(times), flops };
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

const ours = await timeBackend(loadConfig().backend, steps, warmup);
const convMs = timeReferenceConv(steps, warmup);
const torchOut = JSON.parse(
  execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'bench_train_torch.py'), String(batch), String(size), String(classes), String(steps), String(warmup), String(threads)], { encoding: 'utf8' }),
) as { params: number; msPerStep: number; convMs: number; torch: string };
const floorMs = (ours.flops / referenceConvFlops) * convMs;
const result: Record<string, unknown> = {
  backend: ours.report.choice,
  backendVersion: ours.report.version,
  params: ours.params,
  torchParams: torchOut.params,
  batch,
  inputSize: size,
  threads,
  backendThreads: ours.report.threads ?? null,
  msPerStep: Math.round(ours.msPerStep),
  torchMsPerStep: Math.round(torchOut.msPerStep),
  ratio: Number((ours.msPerStep / torchOut.msPerStep).toFixed(2)),
  target: 2,
  gflopPerStep: Number((ours.flops / 1e9).toFixed(2)),
  gflopsPerSecond: gflops(ours.flops, ours.msPerStep),
  torchGflopsPerSecond: gflops(ours.flops, torchOut.msPerStep),
  convGflops: gflops(referenceConvFlops, convMs),
  torchConvGflops: gflops(referenceConvFlops, torchOut.convMs),
  floorMsPerStep: Math.round(floorMs),
  floorRatio: Number((floorMs / torchOut.msPerStep).toFixed(2)),
  torch: torchOut.torch,
};
if (values['with-cpu']) result.cpuMsPerStep = Math.round((await timeBackend('cpu', 1, 0)).msPerStep);
console.log(JSON.stringify(result, null, 2));
