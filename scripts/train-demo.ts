/**
 * npm run demo:train: a short training on the synthetic demo cohort with a chosen fusion strategy
 * (default batchAdaptive with lesion sensitivity target 0.9), then per-class Dice on a held-out case.
 * Data come straight from the seeded generator (no database needed). Prints JSON.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/selectBackend.js';
import { loadConfig } from '../src/config.js';
import { DEMO_COHORT, synthesizeCase, type SyntheticCase } from '../src/data/synthetic.js';
import { createFusionStrategy } from '../src/fusion/createStrategy.js';
import { createDiceLoss } from '../src/losses/dice.js';
import { createFocalLoss } from '../src/losses/focal.js';
import { createSensitivitySpecificityLoss } from '../src/losses/sensitivitySpecificity.js';
import { classMetrics } from '../src/metrics/segmentationMetrics.js';
import { buildUNet } from '../src/model/unet.js';
import { trainStep } from '../src/train/trainStep.js';
import { Random } from '../src/util/random.js';

const { values } = parseArgs({
  options: {
    strategy: { type: 'string', default: 'batchAdaptive' },
    steps: { type: 'string', default: '600' },
    batch: { type: 'string', default: '8' },
    patients: { type: 'string', default: '11' },
    seed: { type: 'string', default: '1' },
  },
});
const steps = Number(values.steps);
const batchSize = Number(values.batch);
const size = 64;
const backend = await selectBackend(loadConfig().backend);

/** 2x2 average of the image (CT window [-160, 240] HU scaled to about [-1, 1]), 2x2 max of labels (keeps lesions). */
function slices(c: SyntheticCase): { image: Float32Array; label: Uint8Array }[] {
  const [nx, ny, nz] = c.geometry.size;
  return [...Array(nz).keys()].map((k) => {
    const image = new Float32Array(size * size);
    const label = new Uint8Array(size * size);
    for (let j = 0; j < size; j++)
      for (let i = 0; i < size; i++) {
        let sum = 0;
        let lab = 0;
        for (const [di, dj] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const v = k * nx * ny + (2 * j + dj) * nx + 2 * i + di;
          sum += Math.max(-160, Math.min(240, c.hu[v]));
          lab = Math.max(lab, c.labels[v]);
        }
        image[j * size + i] = (sum / 4 - 40) / 200;
        label[j * size + i] = lab;
      }
    return { image, label };
  });
}

const patients = Number(values.patients);
const cases = [...Array(patients + 1).keys()].map((p) => synthesizeCase(p, { ...DEMO_COHORT, patients: patients + 1 }));
const train = cases.slice(0, patients).flatMap(slices);
const heldOut = cases[patients];
const rng = new Random(Number(values.seed));
const withLesion = train.filter((s) => s.label.includes(2));
const withOrgan = train.filter((s) => s.label.includes(1));

const net = buildUNet({ classes: 3, inputSize: size, depth: 3, baseFilters: 16 });
const losses = [
  { name: 'dice', fn: createDiceLoss() },
  { name: 'focal', fn: createFocalLoss({ gamma: 2 }) },
  { name: 'sensitivitySpecificity', fn: createSensitivitySpecificityLoss({ r: 0.5 }) },
];
const fusion = createFusionStrategy(
  losses.map((l) => l.name),
  { strategy: values.strategy as 'batchAdaptive', options: values.strategy === 'batchAdaptive' ? { sensitivityTargets: { '2': 0.9 } } : {} },
);
const optimizer = tf.train.adam(2e-3);
const started = performance.now();
for (let step = 0; step < steps; step++) {
  // Foreground oversampling: a third of each batch has a lesion, a third the organ, the rest is random.
  const picks = [...Array(batchSize).keys()].map((b) => {
    const pool = b % 3 === 0 ? withLesion : b % 3 === 1 ? withOrgan : train;
    return pool[Math.floor(rng.next() * pool.length)];
  });
  const x = tf.tensor4d(Float32Array.from(picks.flatMap((p) => [...p.image])), [batchSize, size, size, 1]);
  const y = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(Int32Array.from(picks.flatMap((p) => [...p.label])), 'int32'), 3), [batchSize, size, size, 3]) as tf.Tensor4D);
  const r = trainStep(net, losses, fusion, optimizer, x, y, Math.floor(step / 50), step);
  tf.dispose([x, y]);
  if (step % 50 === 0) console.error(JSON.stringify({ step, loss: Number(r.loss.toFixed(4)), weights: r.weights.map((w) => Number(w.toFixed(2))) }));
}
const trainSeconds = (performance.now() - started) / 1000;

const test = slices(heldOut);
const prediction = new Uint8Array(test.length * size * size);
const truth = new Uint8Array(prediction.length);
test.forEach((s, k) => {
  const p = tf.tidy(() => tf.argMax(net.model.predict(tf.tensor4d(s.image, [1, size, size, 1])) as tf.Tensor, -1).dataSync());
  prediction.set(p, k * size * size);
  truth.set(s.label, k * size * size);
});
const shape = { size: [size, size, test.length] as [number, number, number], spacing: [heldOut.geometry.spacing[0] * 2, heldOut.geometry.spacing[1] * 2, heldOut.geometry.spacing[2]] as [number, number, number] };
const organ = classMetrics(truth, prediction, 1, shape);
const lesion = classMetrics(truth, prediction, 2, shape);
console.log(
  JSON.stringify(
    {
      backend: backend.choice,
      strategy: fusion.name,
      steps,
      trainSeconds: Number(trainSeconds.toFixed(1)),
      heldOut: heldOut.patientId,
      organ: { dice: Number(organ.dice.toFixed(3)), sensitivity: organ.sensitivity },
      lesion: { dice: Number(lesion.dice.toFixed(3)), sensitivity: lesion.sensitivity, voxels: lesion.groundTruthVoxels },
      finalWeights: fusion.history[fusion.history.length - 1].weights.map((w) => Number(w.toFixed(3))),
    },
    null,
    2,
  ),
);
