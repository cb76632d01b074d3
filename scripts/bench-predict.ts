/**
 * npm run bench:predict: one whole volume (--slices x --size x --size, default 32 x 256 x 256) through
 * segmentVolume, the function predict and the evaluation use, with SegFusion's default U-Net (depth 3,
 * 16 base filters, 3 classes), on wasm-native (where the addon is built) and plain wasm (or on
 * SEGFUSION_BACKEND alone), next to PyTorch's eval-mode forward passes of the same model with the same
 * thread count. --rounds interleaved rounds (default 3); prints JSON with every round's milliseconds per
 * volume and the ratios to PyTorch.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from '../src/backend/nativeAddon.js';
import { selectBackend, type BackendChoice } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { buildUNet } from '../src/model/unet.js';
import { segmentVolume } from '../src/model/segmentVolume.js';
import { Random } from '../src/util/random.js';

const { values } = parseArgs({ options: { slices: { type: 'string', default: '32' }, size: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } });
const slices = Number(values.slices);
const size = Number(values.size);
const rounds = Number(values.rounds);
const threads = loadConfig().threads;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rng = new Random(1);
const volume = Float32Array.from({ length: slices * size * size }, () => rng.normal());

async function timeVolume(choice: BackendChoice): Promise<number> {
  await selectBackend(choice, { threads });
  const net = buildUNet({ classes: 3, inputSize: 64 }, { seed: 1 });
  const options = { inputSlices: 1, classes: 3, multiple: 8 };
  segmentVolume(net.model, volume.subarray(0, 4 * size * size), [size, size, 4], options);
  const t0 = performance.now();
  segmentVolume(net.model, volume, [size, size, slices], options);
  const ms = performance.now() - t0;
  net.model.dispose();
  return ms;
}

const forced = loadConfig().backend;
const sides: BackendChoice[] = forced ? [forced] : loadNativeAddon().addon ? ['wasm-native', 'wasm'] : ['wasm'];
const perRound: Record<string, number[]> = Object.fromEntries([...sides, 'pytorch'].map((s) => [s, []]));
let torchVersion = '';
for (let r = 0; r < rounds; r++) {
  for (const side of sides) perRound[side].push(await timeVolume(side));
  const torch = JSON.parse(execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'bench_predict_torch.py'), String(slices), String(size), String(threads), '1'], { encoding: 'utf8' })) as { msPerVolume: number[]; torch: string };
  perRound.pytorch.push(torch.msPerVolume[0]);
  torchVersion = torch.torch;
}
const torchMs = median(perRound.pytorch);
console.log(
  JSON.stringify(
    {
      volume: [slices, size, size],
      threads,
      rounds,
      tfjs: tf.version.tfjs,
      torch: torchVersion,
      msPerVolumeRounds: Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, v.map(Math.round)])),
      torchMsPerVolume: Math.round(torchMs),
      sides: Object.fromEntries(
        sides.map((s) => [s, { msPerVolume: Math.round(median(perRound[s])), ratio: Number((median(perRound[s]) / torchMs).toFixed(2)), ratioRounds: perRound[s].map((v, i) => Number((v / perRound.pytorch[i]).toFixed(2))) }]),
      ),
      target: 1,
    },
    null,
    2,
  ),
);
