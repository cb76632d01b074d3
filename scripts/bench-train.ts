/**
 * npm run bench:train: milliseconds per training step (forward, fused loss, backward, Adam) of the
 * reference 2D U-Net (depth 4, 16 base filters, batch 8 of 1x128x128, 3 classes) on the selected
 * TF.js backend, next to the same model and step in PyTorch on CPU with the same thread count
 * (SEGFUSION_THREADS, default the machine's cores), measured in the same run; medians over --steps
 * steps after --warmup. --with-cpu also times the pure-JS cpu backend once (minutes per step). Prints JSON.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { createFusionStrategy } from '../src/fusion/createStrategy.js';
import { createDiceLoss } from '../src/losses/dice.js';
import { createFocalLoss } from '../src/losses/focal.js';
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
  net.model.dispose();
  optimizer.dispose();
  return { report, params: net.parameters, msPerStep: median(times) };
}

const ours = await timeBackend(loadConfig().backend, steps, warmup);
const torchOut = JSON.parse(
  execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'bench_train_torch.py'), String(batch), String(size), String(classes), String(steps), String(warmup), String(threads)], { encoding: 'utf8' }),
) as { params: number; msPerStep: number; torch: string };
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
  torch: torchOut.torch,
};
if (values['with-cpu']) result.cpuMsPerStep = Math.round((await timeBackend('cpu', 1, 0)).msPerStep);
console.log(JSON.stringify(result, null, 2));
