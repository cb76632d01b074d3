import * as tf from '@tensorflow/tfjs';
import { resampleInPlane } from '../data/resample.js';
import { addFaintLesions, type TwoThresholdRule } from './faintLesions.js';

export interface SegmentOptions {
  inputSlices: number;
  classes: number;
  /** Height and width are padded to a multiple of this (2^depth of the U-Net). */
  multiple: number;
  /** Slices per forward pass (default 4). */
  batchSlices?: number;
  /** Test-time mirroring: average the softmax over the four in-plane mirrorings (default false). */
  mirror?: boolean;
  /** In-plane size [x, y] to resample the probabilities to before arg-max (predict: the series' own grid). */
  outputSize?: readonly [number, number];
  /**
   * Operating point: per class (label value), a probability threshold. A voxel takes the most probable
   * of the classes whose probability reaches their threshold, and the arg-max where none does.
   */
  thresholds?: Readonly<Record<number, number>>;
  /**
   * Operating point, second part: per class, a detection threshold below its outline threshold (the
   * `thresholds` entry); the faint lesions it alone reaches are added after the volume is segmented
   * (addFaintLesions, which needs the class's probabilities of the whole volume).
   */
  faintLesions?: Readonly<Record<number, TwoThresholdRule>>;
  /** Classes whose probabilities (on the output grid) are returned too, for calibrating thresholds. */
  keepProbabilities?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Segments a preprocessed volume slice by slice (each with its inputSlices-1 neighbours as channels,
 * clamped at the ends), padding height and width to the U-Net's multiple with the volume minimum. When
 * `outputSize` is given, per-class probabilities are resampled bilinearly to it before the arg-max:
 * smoother than resampling the labels (nnU-Net does the same). Returns class indices, i fastest.
 */
export function segmentVolume(model: tf.LayersModel, image: Float32Array, size: readonly [number, number, number], o: SegmentOptions): Uint8Array {
  return segmentVolumeDetailed(model, image, size, o).labels;
}

/**
 * The operating point's rule for voxel p of per-class probability planes: the most probable of the
 * classes whose probability reaches their threshold, else the arg-max (ties: the lower class).
 */
function voxelLabel(planes: readonly ArrayLike<number>[], p: number, thresholded: readonly (readonly [number, number])[]): number {
  let best = 0;
  for (let c = 1; c < planes.length; c++) if (planes[c][p] > planes[best][p]) best = c;
  let over = -1;
  for (const [c, t] of thresholded) if (planes[c][p] >= t && (over < 0 || planes[c][p] > planes[over][p])) over = c;
  return over >= 0 ? over : best;
}

/**
 * The labels segmentVolume gives with `thresholds`, from its arg-max labels and the kept probabilities
 * of the thresholded classes: the rule needs nothing else (a voxel no threshold claims keeps its
 * arg-max), so re-thresholding keeps one float per voxel per target class, never every class's.
 */
export function labelsAt(argmax: Uint8Array, probabilities: ReadonlyMap<number, Float32Array>, thresholds: Readonly<Record<number, number>>): Uint8Array {
  const thresholded = Object.entries(thresholds).map(([c, t]) => {
    const plane = probabilities.get(Number(c));
    if (!plane || plane.length !== argmax.length) throw new RangeError(`labelsAt: class ${c} has a threshold but its probabilities were not kept`);
    return [Number(c), t, plane] as const;
  });
  const out = Uint8Array.from(argmax);
  for (let p = 0; p < out.length; p++) {
    let over = -1;
    let best = -1;
    for (const [c, t, plane] of thresholded) {
      if (plane[p] >= t && (over < 0 || plane[p] > best)) {
        over = c;
        best = plane[p];
      }
    }
    if (over >= 0) out[p] = over;
  }
  return out;
}

const MIRRORINGS: readonly number[][] = [[1], [2], [1, 2]];

/**
 * The model's softmax for NHWC input `x`; with `mirror`, the mean of the softmax over the identity and
 * the mirrorings along y, x and both, each mirrored back before averaging (nnU-Net's test-time
 * mirroring; training's flip augmentation makes the four views equally valid). Four forward passes.
 */
function predictMirrored(model: tf.LayersModel, x: tf.Tensor4D, mirror: boolean): tf.Tensor4D {
  const forward = (input: tf.Tensor4D) => model.predict(input) as tf.Tensor4D;
  if (!mirror) return forward(x);
  let sum = forward(x);
  for (const axes of MIRRORINGS) sum = tf.add(sum, tf.reverse(forward(tf.reverse(x, axes)), axes));
  return tf.div(sum, MIRRORINGS.length + 1);
}

/** segmentVolume with the probabilities of `keepProbabilities` classes (i fastest, on the output grid). */
export function segmentVolumeDetailed(model: tf.LayersModel, image: Float32Array, size: readonly [number, number, number], o: SegmentOptions): { labels: Uint8Array; probabilities: Map<number, Float32Array> } {
  const [nx, ny, nz] = size;
  const k = o.inputSlices;
  const half = (k - 1) / 2;
  const px = Math.ceil(nx / o.multiple) * o.multiple;
  const py = Math.ceil(ny / o.multiple) * o.multiple;
  const [ox, oy] = o.outputSize ?? [nx, ny];
  const out = new Uint8Array(ox * oy * nz);
  const faint = o.faintLesions ?? {};
  const kept = new Set([...(o.keepProbabilities ?? []), ...Object.keys(faint).map(Number)]);
  const probabilities = new Map([...kept].map((c) => [c, new Float32Array(ox * oy * nz)]));
  const thresholded = Object.entries(o.thresholds ?? {}).map(([c, t]) => [Number(c), t] as const);
  let padValue = Infinity;
  for (const v of image) if (v < padValue) padValue = v;
  const step = o.batchSlices ?? 4;
  for (let z0 = 0; z0 < nz; z0 += step) {
    const n = Math.min(step, nz - z0);
    const x = new Float32Array(n * py * px * k).fill(padValue);
    for (let b = 0; b < n; b++) {
      for (let s = 0; s < k; s++) {
        const src = Math.min(nz - 1, Math.max(0, z0 + b + s - half)) * nx * ny;
        for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) x[((b * py + j) * px + i) * k + s] = image[src + j * nx + i];
      }
    }
    // Read back after the tidy has freed the forward pass's intermediates: on wasm-native a read inside
    // it made a 32 x 256 x 256 volume take 9.8 s instead of 4.2 s (the cause was not isolated: a read
    // inside a tidy costs nothing extra in a small case).
    const output = tf.tidy(() => predictMirrored(model, tf.tensor4d(x, [n, py, px, k]), o.mirror ?? false));
    const probs = output.dataSync() as Float32Array;
    output.dispose();
    for (let b = 0; b < n; b++) {
      // Per-class planes cropped to the volume, optionally resampled, then arg-max.
      const planes: ArrayLike<number>[] = [];
      for (let c = 0; c < o.classes; c++) {
        const plane = new Float32Array(nx * ny);
        for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) plane[j * nx + i] = probs[((b * py + j) * px + i) * o.classes + c];
        planes.push(ox === nx && oy === ny ? plane : resampleInPlane(plane, [nx, ny, 1], [ox, oy], 'linear'));
      }
      const base = (z0 + b) * ox * oy;
      for (const [c, kept] of probabilities) kept.set(planes[c] as Float32Array, base);
      for (let p = 0; p < ox * oy; p++) out[base + p] = voxelLabel(planes, p, thresholded);
    }
    o.onProgress?.(z0 + n, nz);
  }
  const labels = addFaintLesions(out, probabilities, faint, [ox, oy, nz]);
  for (const c of kept) if (!o.keepProbabilities?.includes(c)) probabilities.delete(c);
  return { labels, probabilities };
}
