import { Random } from '../util/random.js';
import type { VolumeSlices } from './volumeSlices.js';

export interface AugmentationOptions {
  flip: number;
  rotation: number;
  maxRotationDegrees: number;
  scaling: number;
  scaleRange: readonly [number, number];
  intensity: number;
  intensityScale: number;
  intensityShift: number;
  noise: number;
  noiseStd: number;
}

export interface SamplerOptions {
  patchSize: number;
  batchSize: number;
  foregroundFraction: number;
  inputSlices: number;
  classes: number;
  augmentation: AugmentationOptions | null;
}

/** One batch: x is [batch, size, size, inputSlices] (channels last), y is [batch, size, size] class indices. */
export interface Batch {
  x: Float32Array;
  y: Uint8Array;
  /** Share of patches that were centred on a labelled voxel, for the record. */
  foregroundPatches: number;
}

/** A training case as the sampler reads it: slices on demand, the value to pad with outside. */
export interface SamplerCase {
  seriesInstanceUid: string;
  image: VolumeSlices<Float32Array>;
  label: VolumeSlices<Uint8Array>;
  padValue: number;
}

interface IndexedCase {
  c: SamplerCase;
  /** Per class (index = class): flat voxel indices of (a seeded sample of) that class. */
  voxelsOf: Int32Array[];
  /** Foreground classes present in the case. */
  present: number[];
}

/** Voxel locations kept per class and case (nnU-Net keeps 10,000 too): enough to centre patches anywhere. */
export const MAX_LOCATIONS = 10_000;

export class SamplerError extends Error {
  override name = 'SamplerError';
}

/**
 * Draws 2D/2.5D training patches. A `foregroundFraction` share of patches is centred (with a random
 * offset of up to a quarter patch) on a voxel of a class drawn uniformly among the foreground classes of
 * the case, so a lesion class of a few hundred voxels is seen as often as a large organ. Augmentations are
 * applied while sampling, by mapping each output pixel through one flip/rotation/scale transform around
 * the patch centre: images bilinear (outside the volume: the case's minimum), labels nearest (outside:
 * background). Every random draw comes from the `rng` passed in, so a run is reproducible and resumable.
 */
export class PatchSampler {
  private readonly cases: IndexedCase[];

  /**
   * Indexes each case's class locations in one pass over its label slices, keeping a seeded uniform
   * sample (reservoir sampling) of at most MAX_LOCATIONS voxels per class.
   */
  constructor(
    cases: SamplerCase[],
    private readonly o: SamplerOptions,
    seed = 0,
  ) {
    if (cases.length === 0) throw new SamplerError('no training cases to sample from');
    if (o.inputSlices % 2 !== 1) throw new SamplerError(`inputSlices must be odd, got ${o.inputSlices}`);
    const rng = new Random(seed);
    this.cases = cases.map((c) => {
      const [nx, ny, nz] = c.label.geometry.size;
      const plane = nx * ny;
      const seen = new Float64Array(o.classes);
      const kept = [...Array(o.classes).keys()].map(() => new Int32Array(MAX_LOCATIONS));
      for (let k = 0; k < nz; k++) {
        const slice = c.label.slice(k);
        for (let p = 0; p < plane; p++) {
          const v = slice[p];
          if (v >= o.classes) throw new SamplerError(`case ${c.seriesInstanceUid} has label ${v}, but the plan has ${o.classes} classes`);
          const n = seen[v]++;
          if (n < MAX_LOCATIONS) kept[v][n] = k * plane + p;
          else {
            const j = Math.floor(rng.next() * (n + 1));
            if (j < MAX_LOCATIONS) kept[v][j] = k * plane + p;
          }
        }
      }
      const voxelsOf = kept.map((list, v) => list.subarray(0, Math.min(MAX_LOCATIONS, seen[v])));
      return { c, voxelsOf, present: [...seen.keys()].filter((k) => k > 0 && seen[k] > 0) };
    });
  }

  batch(rng: Random): Batch {
    const { patchSize: p, batchSize: b, inputSlices: k } = this.o;
    const x = new Float32Array(b * p * p * k);
    const y = new Uint8Array(b * p * p);
    let foregroundPatches = 0;
    for (let n = 0; n < b; n++) {
      const ic = this.cases[Math.floor(rng.next() * this.cases.length)];
      const [nx, ny, nz] = ic.c.image.geometry.size;
      let ci: number;
      let cj: number;
      let ck: number;
      if (ic.present.length > 0 && rng.next() < this.o.foregroundFraction) {
        const cls = ic.present[Math.floor(rng.next() * ic.present.length)];
        const list = ic.voxelsOf[cls];
        const v = list[Math.floor(rng.next() * list.length)];
        ck = Math.floor(v / (nx * ny));
        cj = Math.floor((v % (nx * ny)) / nx) + Math.floor((rng.next() - 0.5) * (p / 2));
        ci = (v % nx) + Math.floor((rng.next() - 0.5) * (p / 2));
        foregroundPatches++;
      } else {
        ck = Math.floor(rng.next() * nz);
        cj = Math.floor(rng.next() * ny);
        ci = Math.floor(rng.next() * nx);
      }
      this.samplePatch(ic, ci, cj, ck, rng, x.subarray(n * p * p * k, (n + 1) * p * p * k), y.subarray(n * p * p, (n + 1) * p * p));
    }
    return { x, y, foregroundPatches: foregroundPatches / b };
  }

  private samplePatch(ic: IndexedCase, ci: number, cj: number, ck: number, rng: Random, x: Float32Array, y: Uint8Array): void {
    const { patchSize: p, inputSlices: k } = this.o;
    const a = this.o.augmentation;
    const [nx, ny, nz] = ic.c.image.geometry.size;
    let fx = 1;
    let fy = 1;
    let angle = 0;
    let scale = 1;
    if (a) {
      if (rng.next() < a.flip) fx = -1;
      if (rng.next() < a.flip) fy = -1;
      if (rng.next() < a.rotation) angle = ((rng.next() * 2 - 1) * a.maxRotationDegrees * Math.PI) / 180;
      if (rng.next() < a.scaling) scale = a.scaleRange[0] + rng.next() * (a.scaleRange[1] - a.scaleRange[0]);
    }
    // Output offset (u, v) from the centre maps to source offset M (u, v): flip, then scale, then rotate.
    // Integer centre and offsets: without augmentation a patch is an exact crop, never interpolated.
    const cos = Math.cos(angle) * scale;
    const sin = Math.sin(angle) * scale;
    const m00 = cos * fx;
    const m01 = -sin * fy;
    const m10 = sin * fx;
    const m11 = cos * fy;
    const half = (k - 1) / 2;
    const label = ic.c.label.slice(ck);
    const images = [...Array(k).keys()].map((s) => ic.c.image.slice(Math.min(nz - 1, Math.max(0, ck + s - half))));
    const pad = ic.c.padValue;
    for (let v = 0; v < p; v++) {
      const dv = v - p / 2;
      for (let u = 0; u < p; u++) {
        const du = u - p / 2;
        const sx = ci + m00 * du + m01 * dv;
        const sy = cj + m10 * du + m11 * dv;
        const out = v * p + u;
        const ri = Math.round(sx);
        const rj = Math.round(sy);
        y[out] = ri >= 0 && ri < nx && rj >= 0 && rj < ny ? label[rj * nx + ri] : 0;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const wx = sx - x0;
        const wy = sy - y0;
        for (let s = 0; s < k; s++) {
          const image = images[s];
          const at = (i: number, j: number) => (i >= 0 && i < nx && j >= 0 && j < ny ? image[j * nx + i] : pad);
          x[out * k + s] = (at(x0, y0) * (1 - wx) + at(x0 + 1, y0) * wx) * (1 - wy) + (at(x0, y0 + 1) * (1 - wx) + at(x0 + 1, y0 + 1) * wx) * wy;
        }
      }
    }
    if (!a) return;
    if (rng.next() < a.intensity) {
      const gain = 1 + (rng.next() * 2 - 1) * a.intensityScale;
      const shift = (rng.next() * 2 - 1) * a.intensityShift;
      for (let i = 0; i < x.length; i++) x[i] = x[i] * gain + shift;
    }
    if (rng.next() < a.noise) for (let i = 0; i < x.length; i++) x[i] += rng.normal() * a.noiseStd;
  }
}
