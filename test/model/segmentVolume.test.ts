import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { addFaintLesions } from '../../src/model/faintLesions.js';
import { labelsAt, segmentVolume, segmentVolumeDetailed } from '../../src/model/segmentVolume.js';
import { Random } from '../../src/util/random.js';

/**
 * A 1x1 convolution with fixed weights: logits [0, 10 (x_channel - 0.5)], so class 1 wherever the chosen
 * input channel exceeds 0.5. Which channel it reads tells whether neighbouring slices were stacked right.
 */
function thresholdModel(inputSlices: number, channel: number): tf.LayersModel {
  const input = tf.input({ shape: [null, null, inputSlices] as unknown as number[] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 1 });
  const out = tf.layers.softmax({ axis: -1 }).apply(conv.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const kernel = new Float32Array(inputSlices * 2);
  kernel[channel * 2 + 1] = 10;
  conv.setWeights([tf.tensor4d(kernel, [1, 1, inputSlices, 2]), tf.tensor1d([0, -5])]);
  return model;
}

const size: [number, number, number] = [10, 6, 5];
const volume = (() => {
  const r = new Random(3);
  return Float32Array.from({ length: 300 }, () => (r.next() < 0.4 ? 1 : 0));
})();

describe('segmentVolume', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('pads to the size multiple and crops back (10x6 slices, multiple 4)', () => {
    const labels = segmentVolume(thresholdModel(1, 0), volume, size, { inputSlices: 1, classes: 2, multiple: 4 });
    assert.deepEqual([...labels], [...volume]);
  });

  for (const [channel, offset] of [
    [0, -1],
    [2, 1],
  ] as const) {
    it(`2.5D: channel ${channel} holds slice k${offset > 0 ? '+' : ''}${offset}, clamped at the ends`, () => {
      const labels = segmentVolume(thresholdModel(3, channel), volume, size, { inputSlices: 3, classes: 2, multiple: 2, batchSlices: 2 });
      for (let k = 0; k < 5; k++) {
        const src = Math.min(4, Math.max(0, k + offset));
        assert.deepEqual([...labels.subarray(k * 60, (k + 1) * 60)], [...volume.subarray(src * 60, (src + 1) * 60)], `slice ${k}`);
      }
    });
  }

  it('resamples probabilities to outputSize before the arg-max (2x upsampling keeps a solid block)', () => {
    const block = new Float32Array(300);
    for (let k = 0; k < 5; k++) for (let j = 1; j < 5; j++) for (let i = 2; i < 8; i++) block[k * 60 + j * 10 + i] = 1;
    const labels = segmentVolume(thresholdModel(1, 0), block, size, { inputSlices: 1, classes: 2, multiple: 2, outputSize: [20, 12] });
    assert.equal(labels.length, 20 * 12 * 5);
    // Block i in [2, 8) x j in [1, 5) becomes [4, 16) x [2, 10) at twice the resolution.
    let ones = 0;
    for (const v of labels) ones += v;
    assert.equal(ones, 12 * 8 * 5);
    assert.equal(labels[2 * 20 + 4], 1);
    assert.equal(labels[2 * 20 + 3], 0);
  });

  it('applies an operating point: a class whose probability reaches its threshold wins over the arg-max', () => {
    // p(class 1) = sigmoid(10 x - 5): 0.119 at x = 0.3, below the arg-max's 0.5.
    const faint = new Float32Array(300).fill(0.3);
    const argmax = segmentVolumeDetailed(thresholdModel(1, 0), faint, size, { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1] });
    assert.equal(
      argmax.labels.reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(Math.abs((argmax.probabilities.get(1) as Float32Array)[0] - 1 / (1 + Math.exp(2))) < 1e-5);
    const low = segmentVolume(thresholdModel(1, 0), faint, size, { inputSlices: 1, classes: 2, multiple: 2, thresholds: { 1: 0.1 } });
    assert.equal(
      low.reduce((a, b) => a + b, 0),
      300,
    );
    const high = segmentVolume(thresholdModel(1, 0), faint, size, { inputSlices: 1, classes: 2, multiple: 2, thresholds: { 1: 0.2 } });
    assert.equal(
      high.reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('re-thresholds the arg-max with the kept probabilities exactly as segmenting with the thresholds does (labelsAt)', () => {
    // A ramp of intensities: class 1's probability runs from 0.007 to 0.99 over the volume.
    const ramp = Float32Array.from({ length: 300 }, (_, i) => i / 299);
    const kept = segmentVolumeDetailed(thresholdModel(1, 0), ramp, size, { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1] });
    for (const t of [0.05, 0.3, 0.5, 0.8]) {
      const direct = segmentVolume(thresholdModel(1, 0), ramp, size, { inputSlices: 1, classes: 2, multiple: 2, thresholds: { 1: t } });
      const again = labelsAt(kept.labels, kept.probabilities, { 1: t });
      assert.deepEqual(again, direct, `threshold ${t}`);
      assert.ok(again.some((v) => v === 1) && again.some((v) => v === 0), `threshold ${t} splits the ramp, or the test could not fail`);
    }
    assert.deepEqual(labelsAt(kept.labels, kept.probabilities, {}), kept.labels, 'no thresholds: the arg-max');
    assert.throws(() => labelsAt(kept.labels, new Map(), { 1: 0.5 }), /class 1 has a threshold but its probabilities were not kept/);
  });

  it('adds the faint lesions a detection threshold below the outline reaches, after the whole volume (faintLesions)', () => {
    // p(class 1) = sigmoid(10 x - 5): x = 0 gives 0.0067, 0.2 gives 0.047, 0.3 gives 0.119, 0.8 gives 0.95.
    // Lesion A on slice 1: voxels 11-12 at 0.95 with a shoulder (13) at 0.119; lesion B on slice 3: voxel
    // 33 at 0.119 and 34 at 0.047. Detect 0.04, outline 0.5: A is drawn at 0.5 (its shoulder stays out,
    // its component reaching the outline), B at half its peak (0.06): voxel 33 only.
    const image = new Float32Array(300);
    const at = (i: number, j: number, k: number) => k * 60 + j * 10 + i;
    for (const [v, x] of [
      [at(1, 1, 1), 0.8],
      [at(2, 1, 1), 0.8],
      [at(3, 1, 1), 0.3],
      [at(3, 3, 3), 0.3],
      [at(4, 3, 3), 0.2],
    ] as const)
      image[v] = x;
    const o = { inputSlices: 1, classes: 2, multiple: 2, thresholds: { 1: 0.5 }, faintLesions: { 1: { detect: 0.04, outline: 0.5 } } };
    const got = segmentVolumeDetailed(thresholdModel(1, 0), image, size, o);
    assert.deepEqual(
      [...got.labels.keys()].filter((v) => got.labels[v] === 1),
      [at(1, 1, 1), at(2, 1, 1), at(3, 3, 3)],
    );
    assert.equal(got.probabilities.size, 0, 'the probabilities the rule needed are not returned unless asked for');
    // The same from the arg-max and the kept probabilities, as validation re-labels them.
    const kept = segmentVolumeDetailed(thresholdModel(1, 0), image, size, { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1] });
    assert.deepEqual(addFaintLesions(labelsAt(kept.labels, kept.probabilities, o.thresholds), kept.probabilities, o.faintLesions, size), got.labels);
    assert.deepEqual(segmentVolumeDetailed(thresholdModel(1, 0), image, size, { ...o, keepProbabilities: [1] }).probabilities.get(1), kept.probabilities.get(1));
  });

  it('mirrors at test time: the softmax averaged over the 4 in-plane mirrorings, each mirrored back', () => {
    // A 3x3 kernel that weighs the left and upper neighbours differently, so every mirroring gives a
    // different probability map and an averaging or un-mirroring mistake shows.
    const input = tf.input({ shape: [null, null, 1] as unknown as number[] });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' });
    const model = tf.model({ inputs: input, outputs: tf.layers.softmax({ axis: -1 }).apply(conv.apply(input)) as tf.SymbolicTensor });
    const kernel = new Float32Array(18);
    for (const [dy, dx, w] of [
      [0, 0, 4],
      [0, 1, -2],
      [1, 0, 3],
      [1, 1, 1],
      [2, 2, -1],
    ] as const)
      kernel[(dy * 3 + dx) * 2 + 1] = w;
    conv.setWeights([tf.tensor4d(kernel, [3, 3, 1, 2]), tf.tensor1d([0, -1])]);
    const [nx, ny, nz] = [8, 6, 2];
    const r = new Random(5);
    const image = Float32Array.from({ length: nx * ny * nz }, () => r.next());
    const mirrored = (v: Float32Array, fx: boolean, fy: boolean) => {
      const out = new Float32Array(v.length);
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[(k * ny + (fy ? ny - 1 - j : j)) * nx + (fx ? nx - 1 - i : i)] = v[(k * ny + j) * nx + i];
      return out;
    };
    // Reference: segment each mirrored volume without mirroring, mirror its probabilities back, average.
    const expected = new Float32Array(image.length);
    for (const [fx, fy] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const p = segmentVolumeDetailed(model, mirrored(image, fx, fy), [nx, ny, nz], { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1] }).probabilities.get(1) as Float32Array;
      const back = mirrored(p, fx, fy);
      for (let v = 0; v < expected.length; v++) expected[v] += back[v] / 4;
    }
    const plain = segmentVolumeDetailed(model, image, [nx, ny, nz], { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1] }).probabilities.get(1) as Float32Array;
    const got = segmentVolumeDetailed(model, image, [nx, ny, nz], { inputSlices: 1, classes: 2, multiple: 2, keepProbabilities: [1], mirror: true }).probabilities.get(1) as Float32Array;
    let maxError = 0;
    let maxChange = 0;
    for (let v = 0; v < got.length; v++) {
      maxError = Math.max(maxError, Math.abs(got[v] - expected[v]));
      maxChange = Math.max(maxChange, Math.abs(plain[v] - expected[v]));
    }
    assert.ok(maxError < 1e-5, `mirrored average off by ${maxError}`);
    assert.ok(maxChange > 0.05, `the mirrorings must differ (largest change ${maxChange}) or the test could not fail`);
  });
});
