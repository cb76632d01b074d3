import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VolumeGeometry } from '../../src/data/geometry.js';
import { MAX_LOCATIONS, PatchSampler, SamplerError, type AugmentationOptions, type SamplerCase } from '../../src/data/patchSampler.js';
import { FileSlices, MemorySlices } from '../../src/data/volumeSlices.js';
import { writeVolume } from '../../src/data/volumeCache.js';
import { tempDir } from '../helpers.js';
import { Random } from '../../src/util/random.js';

const size: [number, number, number] = [24, 20, 6];
const geometry: VolumeGeometry = {
  size,
  spacing: [1, 1, 2],
  origin: [0, 0, 0],
  axes: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
};

/** image = 10000 k + 100 j + i (each voxel says where it is); a big organ (1) and a 2x2 lesion (2) on slice 3. */
function volumes(): { image: Float32Array; label: Uint8Array } {
  const [nx, ny, nz] = size;
  const image = new Float32Array(nx * ny * nz);
  const label = new Uint8Array(image.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = k * nx * ny + j * nx + i;
        image[v] = 10000 * k + 100 * j + i;
        if (k >= 1 && k <= 4 && i >= 4 && i < 16 && j >= 4 && j < 14) label[v] = 1;
      }
  for (const [i, j] of [
    [10, 8],
    [11, 8],
    [10, 9],
    [11, 9],
  ])
    label[3 * nx * ny + j * nx + i] = 2;
  return { image, label };
}

function makeCase(): SamplerCase & { labels: Uint8Array } {
  const { image, label } = volumes();
  return { seriesInstanceUid: '1.2.3', image: new MemorySlices(image, geometry), label: new MemorySlices(label, geometry), padValue: 0, labels: label };
}

const none = null;
const base = { patchSize: 8, batchSize: 64, foregroundFraction: 0.5, inputSlices: 3, classes: 3, augmentation: none as AugmentationOptions | null };

describe('PatchSampler', () => {
  it('without augmentation a patch is an exact crop, with neighbouring slices as channels (clamped at the ends)', () => {
    const sampler = new PatchSampler([makeCase()], { ...base, batchSize: 32 });
    const b = sampler.batch(new Random(5));
    let checked = 0;
    for (let n = 0; n < 32; n++) {
      const at = (u: number, v: number, s: number) => b.x[((n * 8 + v) * 8 + u) * 3 + s];
      for (let v = 0; v < 7; v++)
        for (let u = 0; u < 7; u++) {
          // Values > 0 are inside the volume (the pad value is the minimum, 0).
          const c = at(u, v, 1);
          if (c <= 0) continue;
          const k = Math.floor(c / 10000);
          if (at(u + 1, v, 1) > 0) assert.equal(at(u + 1, v, 1) - c, 1);
          if (at(u, v + 1, 1) > 0) assert.equal(at(u, v + 1, 1) - c, 100);
          assert.equal(at(u, v, 0), c - 10000 * (k - Math.max(0, k - 1)));
          assert.equal(at(u, v, 2), c + 10000 * (Math.min(5, k + 1) - k));
          checked++;
        }
    }
    assert.ok(checked > 500, `only ${checked} pixels checked`);
  });

  it('foregroundFraction 1: every patch holds foreground, and the 4-voxel lesion is drawn about as often as the organ', () => {
    const sampler = new PatchSampler([makeCase()], { ...base, foregroundFraction: 1, batchSize: 400, inputSlices: 1 });
    const b = sampler.batch(new Random(1));
    let withLesion = 0;
    for (let n = 0; n < 400; n++) {
      const patch = b.y.subarray(n * 64, (n + 1) * 64);
      assert.ok(
        patch.some((v) => v > 0),
        `patch ${n} has no foreground`,
      );
      if (patch.includes(2)) withLesion++;
    }
    assert.equal(b.foregroundPatches, 1);
    // Half the patches are centred on the lesion class (binomial, 400 draws: 200 ± 30 at 3 sigma).
    assert.ok(withLesion >= 170, `lesion in ${withLesion} of 400 patches`);
  });

  it('foregroundFraction 0 samples uniformly: the lesion (4 of 2880 voxels) is in few patches', () => {
    const b = new PatchSampler([makeCase()], { ...base, foregroundFraction: 0, batchSize: 400, inputSlices: 1 }).batch(new Random(1));
    let withLesion = 0;
    for (let n = 0; n < 400; n++) if (b.y.subarray(n * 64, (n + 1) * 64).includes(2)) withLesion++;
    assert.ok(withLesion < 60, `lesion in ${withLesion} of 400 patches`);
  });

  it('is reproducible from the generator state (resume draws the same batches)', () => {
    const aug: AugmentationOptions = { flip: 0.5, rotation: 0.5, maxRotationDegrees: 20, scaling: 0.5, scaleRange: [0.8, 1.2], intensity: 0.5, intensityScale: 0.1, intensityShift: 0.1, noise: 0.5, noiseStd: 0.05 };
    const sampler = new PatchSampler([makeCase()], { ...base, augmentation: aug });
    const rng = new Random(42);
    sampler.batch(rng);
    const snapshot = rng.snapshot();
    const next = sampler.batch(rng);
    const again = sampler.batch(Random.fromSnapshot(snapshot));
    assert.deepEqual(again.x, next.x);
    assert.deepEqual(again.y, next.y);
  });

  it('a certain flip mirrors the crop: labels and images stay aligned', () => {
    const flip: AugmentationOptions = { flip: 1, rotation: 0, maxRotationDegrees: 0, scaling: 0, scaleRange: [1, 1], intensity: 0, intensityScale: 0, intensityShift: 0, noise: 0, noiseStd: 0 };
    const c = makeCase();
    const b = new PatchSampler([c], { ...base, inputSlices: 1, foregroundFraction: 1, batchSize: 16, augmentation: flip }).batch(new Random(3));
    let mirrored = 0;
    for (let n = 0; n < 16; n++) {
      for (let p = 0; p < 64; p++) {
        const value = b.x[n * 64 + p];
        if (value <= 0) continue;
        const [k, j, i] = [Math.floor(value / 10000), Math.floor((value % 10000) / 100), value % 100];
        assert.equal(b.y[n * 64 + p], c.labels[k * 480 + j * 24 + i]);
        // Flipped in x and y: moving right along the patch moves left in the image.
        const right = b.x[n * 64 + p + 1];
        if (p % 8 < 7 && right > 0) {
          assert.equal(value - right, 1);
          mirrored++;
        }
      }
    }
    assert.ok(mirrored > 100);
  });

  it('reads cached volumes slice by slice and draws the same batches as from memory', () => {
    const dir = tempDir('slices');
    const { image, label } = volumes();
    const fromFiles: SamplerCase = {
      seriesInstanceUid: '1.2.3',
      image: new FileSlices<Float32Array>(writeVolume(dir, 'image', 'image', geometry, image), 4),
      label: new FileSlices<Uint8Array>(writeVolume(dir, 'label', 'label', geometry, label), 4),
      padValue: 0,
    };
    const a = new PatchSampler([fromFiles], base, 7).batch(new Random(11));
    const b = new PatchSampler([makeCase()], base, 7).batch(new Random(11));
    assert.deepEqual(a.x, b.x);
    assert.deepEqual(a.y, b.y);
  });

  it(`keeps at most ${MAX_LOCATIONS} locations per class and case, a uniform sample over the whole volume`, () => {
    // 40,000 organ voxels over two slices; image = 1000 k + j tells where a patch centre came from.
    const big: VolumeGeometry = { ...geometry, size: [200, 100, 2] };
    const image = Float32Array.from({ length: 40000 }, (_, v) => 1000 * Math.floor(v / 20000) + Math.floor((v % 20000) / 200));
    const c: SamplerCase = { seriesInstanceUid: 'big', image: new MemorySlices(image, big), label: new MemorySlices(new Uint8Array(40000).fill(1), big), padValue: -1 };
    const b = new PatchSampler([c], { ...base, foregroundFraction: 1, batchSize: 400, inputSlices: 1, classes: 2 }, 3).batch(new Random(2));
    let secondSlice = 0;
    let lowerHalf = 0;
    for (let n = 0; n < 400; n++) {
      const centre = b.x[n * 64 + 4 * 8 + 4];
      if (centre >= 1000) secondSlice++;
      if (centre % 1000 >= 50) lowerHalf++;
    }
    // Keeping only the first 10,000 voxels seen would put every centre in slice 0, rows 0-49.
    assert.ok(secondSlice > 150 && secondSlice < 250, `${secondSlice} of 400 centres in slice 1`);
    assert.ok(lowerHalf > 150 && lowerHalf < 250, `${lowerHalf} of 400 centres in rows 50-99`);
  });

  it('rejects a label value beyond the planned classes, naming it', () => {
    assert.throws(
      () => new PatchSampler([makeCase()], { ...base, classes: 2 }),
      (e: unknown) => e instanceof SamplerError && /has label 2, but the plan has 2 classes/.test(e.message),
    );
  });
});
