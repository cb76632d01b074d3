import { Add, FusedBatchNorm, Multiply, Pow, Relu, Softmax, Sub, Sum, util, type FusedBatchNormAttrs, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { allFloat, guarded, type DnnlAddon, type Make } from './nativeAddon.js';
import type { WasmHeapBackend } from './wasmHeap.js';

const relu: Make = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (!allFloat(x)) return fallback(args);
  return guarded(fallback, args, [...x.shape], (view, out) => addon.relu(view(x), view(out)));
};

const sizeOf = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** Whether `small` is a vector along `big`'s last axis ([C], [1, C], [1, 1, 1, C]) of at most its rank. */
const alongLastAxis = (big: number[], small: number[]) => big.length > 0 && small.length > 0 && small.length <= big.length && small[small.length - 1] === big[big.length - 1] && sizeOf(small) === big[big.length - 1];

/**
 * The binary kernel's mode for a op b, or null for broadcasts it does not do (those stay with wasm):
 * equal shapes, a scalar, or a vector along the last axis, on either side.
 */
function binaryMode(a: number[], b: number[]): { mode: number; shape: number[]; width: number } | null {
  if (a.length === b.length && a.every((d, i) => d === b[i])) return { mode: 0, shape: a, width: 1 };
  if (sizeOf(b) === 1 && b.length <= a.length) return { mode: 2, shape: a, width: 1 };
  if (sizeOf(a) === 1 && a.length <= b.length) return { mode: 4, shape: b, width: 1 };
  if (alongLastAxis(a, b)) return { mode: 1, shape: a, width: a[a.length - 1] };
  if (alongLastAxis(b, a)) return { mode: 3, shape: b, width: b[b.length - 1] };
  return null;
}

/** Add, Sub and Multiply of float32 tensors in one vectorised pass where binaryMode applies. */
const binary =
  (op: number): Make =>
  (addon, fallback) =>
  (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const m = allFloat(a, b) ? binaryMode(a.shape, b.shape) : null;
    if (!m) return fallback(args);
    return guarded(fallback, args, [...m.shape], (view, out) => addon.binary(view(a), view(b), view(out), op, m.mode, m.width));
  };

/** Sum over every axis but the last (or over all): bias and per-class gradients, loss sums; other axes stay with wasm, which transposes first. */
const sum: Make = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const all = axes.length === rank;
  const outer = rank >= 2 && axes.length === rank - 1 && axes.every((d, i) => d === i);
  if (!allFloat(x) || rank === 0 || !(all || outer)) return fallback(args);
  const width = all ? 1 : x.shape[rank - 1];
  const shape = keepDims ? x.shape.map((d, i) => (all || i < rank - 1 ? 1 : d)) : all ? [] : [width];
  return guarded(fallback, args, shape, (view, out) => addon.sumRows(view(x), view(out), width));
};

/** x to a scalar power (the focal loss's (1 − p)^γ and its gradient's). */
const pow: Make = (addon, fallback) => (args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  if (!allFloat(a, b) || sizeOf(b.shape) !== 1 || b.shape.length > a.shape.length) return fallback(args);
  return guarded(fallback, args, [...a.shape], (view, out) => addon.powScalar(view(a), view(out), view(b)[0]));
};

/** Softmax over the last axis, the only one tfjs's op accepts (the U-Net's class probabilities). */
const softmax: Make = (addon, fallback) => (args) => {
  const { logits } = args.inputs as { logits: TensorInfo };
  const rank = logits.shape.length;
  if (!allFloat(logits) || rank === 0) return fallback(args);
  return guarded(fallback, args, [...logits.shape], (view, out) => addon.softmax(view(logits), view(out), logits.shape[rank - 1]));
};

/** x, dy -> dx = dy · step(x), bit for bit tfjs's Relu gradient. */
export const reluGrad =
  (addon: DnnlAddon): KernelFunc =>
  (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const b = args.backend as unknown as WasmHeapBackend;
    const out = b.makeOutput([...x.shape], 'float32');
    addon.reluGrad(b.typedArrayFromHeap(x), b.typedArrayFromHeap(dy), b.typedArrayFromHeap(out));
    return out;
  };

/** value, m, v, grad, scalars -> value', m', v': one Adam step of one variable (src/train/adam.ts). */
export const adamUpdate =
  (addon: DnnlAddon): KernelFunc =>
  (args) => {
    const { value, m, v, grad, scalars } = args.inputs as Record<'value' | 'm' | 'v' | 'grad' | 'scalars', TensorInfo>;
    const b = args.backend as unknown as WasmHeapBackend;
    const outs = [b.makeOutput([...value.shape], 'float32'), b.makeOutput([...value.shape], 'float32'), b.makeOutput([...value.shape], 'float32')];
    const h = (t: TensorInfo) => b.typedArrayFromHeap(t);
    addon.adamUpdate(h(value), h(m), h(v), h(grad), h(outs[0]), h(outs[1]), h(outs[2]), h(scalars));
    return outs;
  };

/** The logical [N, C, spatial...] oneDNN takes for a channels-last tensor of rank 4 or 5; other ranks as [M, C]. */
const rows = (x: TensorInfo) => {
  const s = x.shape;
  const c = s[s.length - 1];
  return Int32Array.from(s.length === 4 || s.length === 5 ? [s[0], c, ...s.slice(1, -1)] : [s.reduce((a, d) => a * d, 1) / c, c]);
};

/** x, gamma, beta -> y, mean, variance (biased), by oneDNN's batch normalisation. */
export const batchNormForward =
  (addon: DnnlAddon): KernelFunc =>
  (args) => {
    const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const { epsilon } = args.attrs as { epsilon: number };
    const b = args.backend as unknown as WasmHeapBackend;
    const c = x.shape[x.shape.length - 1];
    const outs = [b.makeOutput([...x.shape], 'float32'), b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')];
    const v = (t: TensorInfo) => b.typedArrayFromHeap(t);
    addon.batchNormForward(v(x), v(gamma), v(beta), v(outs[0]), v(outs[1]), v(outs[2]), rows(x), epsilon);
    return outs;
  };

/** x, dy, mean, variance, gamma, beta -> dx, dgamma, dbeta: the full gradient, through the batch statistics. */
export const batchNormBackward =
  (addon: DnnlAddon): KernelFunc =>
  (args) => {
    const { x, dy, mean, variance, gamma, beta } = args.inputs as Record<'x' | 'dy' | 'mean' | 'variance' | 'gamma' | 'beta', TensorInfo>;
    const { epsilon } = args.attrs as { epsilon: number };
    const b = args.backend as unknown as WasmHeapBackend;
    const c = x.shape[x.shape.length - 1];
    const outs = [b.makeOutput([...x.shape], 'float32'), b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')];
    const v = (t: TensorInfo) => b.typedArrayFromHeap(t);
    addon.batchNormBackward(v(x), v(dy), v(mean), v(variance), v(gamma), v(beta), v(outs[0]), v(outs[1]), v(outs[2]), rows(x), epsilon);
    return outs;
  };

/** FusedBatchNorm with per-channel statistics (inference): one oneDNN pass instead of the wasm kernel's broadcasts. */
const fusedBatchNorm: Make = (addon, fallback) => (args) => {
  const { x, mean, variance, offset, scale } = args.inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
  const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
  const c = x.shape[x.shape.length - 1];
  const perChannel = [mean, variance, offset, scale].every((t) => !t || (t.shape.length === 1 && t.shape[0] === c));
  if (!perChannel || !allFloat(x, mean, variance, offset, scale) || ![2, 4, 5].includes(x.shape.length)) return fallback(args);
  return guarded(fallback, args, [...x.shape], (view, out) => addon.batchNormInference(view(x), view(mean), view(variance), scale ? view(scale) : null, offset ? view(offset) : null, view(out), rows(x), varianceEpsilon));
};

/** The elementwise kernels, reductions, softmax and inference batch norm that training and inference spend time in, by the wasm kernel each replaces. */
export const ELEMENTWISE_KERNELS: [string, Make][] = [
  [FusedBatchNorm, fusedBatchNorm],
  [Relu, relu],
  [Softmax, softmax],
  [Add, binary(0)],
  [Sub, binary(1)],
  [Multiply, binary(2)],
  [Sum, sum],
  [Pow, pow],
];
