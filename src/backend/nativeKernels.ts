import { createRequire } from 'node:module';
import {
  Add,
  backend_util,
  Concat,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Conv3D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  FusedBatchNorm,
  FusedConv2D,
  getGradient,
  getKernel,
  MaxPool,
  MaxPool3D,
  MaxPool3DGrad,
  MaxPoolGrad,
  Multiply,
  Pow,
  registerGradient,
  registerKernel,
  Relu,
  Softmax,
  SplitV,
  Sub,
  Sum,
  unregisterKernel,
  util,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type Conv3DAttrs,
  type Conv3DBackpropFilterV2Attrs,
  type Conv3DBackpropInputV2Attrs,
  type FusedBatchNormAttrs,
  type FusedConv2DAttrs,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type MaxPool3DAttrs,
  type MaxPool3DGradAttrs,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type SumAttrs,
  type Tensor,
  type TensorInfo,
  engine,
} from '@tensorflow/tfjs-core';
import { makeConcat, makeSplitV } from './wasmConcatSplit.js';
import { loadConfig } from '../config.js';
import type { WasmHeapBackend } from './wasmHeap.js';

/** The functions of native/src/dnnl_kernels.cc (shape arrays as documented there). */
interface DnnlAddon {
  convolutionForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, shape: Int32Array, activation: number, alpha: number): void;
  convolutionBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, shape: Int32Array): void;
  convolutionBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, shape: Int32Array): void;
  maxPoolForward(x: Float32Array, y: Float32Array, shape: Int32Array): void;
  maxPoolBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, shape: Int32Array): void;
  batchNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array, shape: Int32Array, epsilon: number): void;
  batchNormBackward(
    x: Float32Array,
    dy: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    shape: Int32Array,
    epsilon: number,
  ): void;
  batchNormInference(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, offset: Float32Array | null, y: Float32Array, shape: Int32Array, epsilon: number): void;
  copyRows(src: Float32Array, srcStride: number, srcOffset: number, dst: Float32Array, dstStride: number, dstOffset: number, rows: number, width: number): void;
  relu(x: Float32Array, y: Float32Array): void;
  reluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  softmax(x: Float32Array, y: Float32Array, width: number): void;
  /** op 0 add, 1 subtract, 2 multiply; mode: 0 same shape, 1 b along the last axis, 2 b scalar, 3 a along the last axis, 4 a scalar. */
  binary(a: Float32Array, b: Float32Array, out: Float32Array, op: number, mode: number, width: number): void;
  sumRows(x: Float32Array, out: Float32Array, width: number): void;
  powScalar(x: Float32Array, out: Float32Array, exponent: number): void;
  /** scalars: [b1, 1 − b1, b2, 1 − b2, 1 − b1^t, 1 − b2^t, epsilon, −learningRate] as float32. */
  adamUpdate(value: Float32Array, m: Float32Array, v: Float32Array, grad: Float32Array, newValue: Float32Array, newM: Float32Array, newV: Float32Array, scalars: Float32Array): void;
  setThreads(n: number): void;
  info(): { version: string; isa: string; threads: number; cachedPrimitives: number };
}

/** Who computes the native kernels, recorded with every run that uses them. */
export interface NativeProvider {
  provider: 'oneDNN';
  version: string;
  /** The instruction set oneDNN dispatches to on this CPU (e.g. avx2, avx512_core). */
  isa: string;
  threads: number;
}

let loaded: { addon: DnnlAddon | null; reason: string | null } | undefined;

/** The oneDNN addon (@segfusion/native), or the reason it is not there (built at npm ci when libdnnl-dev is installed). */
export function loadNativeAddon(): { addon: DnnlAddon | null; reason: string | null } {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)('@segfusion/native') as { addon: DnnlAddon | null; reason: string | null };
    } catch (err) {
      loaded = { addon: null, reason: `@segfusion/native is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
    }
  }
  return loaded;
}

const BACKEND = 'wasm';

/** The wasm kernels the native ones replaced, restored by unregisterNativeKernels(); null while they are not registered. */
let replaced: KernelConfig[] | null = null;

/** tfjs's fused activations that oneDNN applies as a post-op, by the codes of dnnl_kernels.cc. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5 };

/**
 * The shape arrays of dnnl_kernels.cc: [s, N, channels..., then per block its s spatial values], s = 2
 * or 3. Conv: [s, N, Ci, Co, in, kernel, out, stride, dilation, padBefore, padAfter]; pool: [s, N, C,
 * in, kernel, out, stride, padBefore, padAfter].
 */
const pack = (head: number[], blocks: number[][]) => Int32Array.from([blocks[0].length, ...head, ...blocks.flat()]);

function convShape(i: backend_util.Conv2DInfo): Int32Array {
  const p = i.padInfo;
  return pack(
    [i.batchSize, i.inChannels, i.outChannels],
    [
      [i.inHeight, i.inWidth],
      [i.filterHeight, i.filterWidth],
      [i.outHeight, i.outWidth],
      [i.strideHeight, i.strideWidth],
      [i.dilationHeight, i.dilationWidth],
      [p.top, p.left],
      [p.bottom, p.right],
    ],
  );
}

function poolShape(i: backend_util.Conv2DInfo): Int32Array {
  const p = i.padInfo;
  return pack(
    [i.batchSize, i.inChannels],
    [
      [i.inHeight, i.inWidth],
      [i.filterHeight, i.filterWidth],
      [i.outHeight, i.outWidth],
      [i.strideHeight, i.strideWidth],
      [p.top, p.left],
      [p.bottom, p.right],
    ],
  );
}

const spatial3d = (i: backend_util.Conv3DInfo) => [
  [i.inDepth, i.inHeight, i.inWidth],
  [i.filterDepth, i.filterHeight, i.filterWidth],
  [i.outDepth, i.outHeight, i.outWidth],
  [i.strideDepth, i.strideHeight, i.strideWidth],
];

function conv3dShape(i: backend_util.Conv3DInfo): Int32Array {
  const p = i.padInfo;
  return pack([i.batchSize, i.inChannels, i.outChannels], [...spatial3d(i), [i.dilationDepth, i.dilationHeight, i.dilationWidth], [p.front, p.top, p.left], [p.back, p.bottom, p.right]]);
}

function pool3dShape(i: backend_util.Conv3DInfo): Int32Array {
  const p = i.padInfo;
  return pack([i.batchSize, i.inChannels], [...spatial3d(i), [p.front, p.top, p.left], [p.back, p.bottom, p.right]]);
}

type Make = (addon: DnnlAddon, fallback: KernelFunc) => KernelFunc;

/** Overrides SEGFUSION_NATIVE_STRICT for this process (tests: no silent fallback); null: the config's. */
let strict: boolean | null = null;
export function setNativeStrict(on: boolean | null): void {
  strict = on;
}

/** Runs `native` (which fills its output in place); anything oneDNN refuses goes to the kernel it replaced. */
function guarded(fallback: KernelFunc, args: Parameters<KernelFunc>[0], outShape: number[], native: (views: (t: TensorInfo) => Float32Array, out: TensorInfo) => void): TensorInfo {
  const b = args.backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(outShape, 'float32');
  try {
    // Views after the last makeOutput: a heap growth would detach earlier ones.
    native((t) => b.typedArrayFromHeap(t), out);
    return out;
  } catch (err) {
    b.disposeData(out.dataId);
    if (strict ?? loadConfig().nativeStrict) throw err;
    return fallback(args) as TensorInfo;
  }
}

const allFloat = (...ts: (TensorInfo | undefined)[]) => ts.every((t) => !t || t.dtype === 'float32');

const conv2d: Make = (addon, fallback) => (args) => {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs;
  if (dataFormat !== 'NHWC' || !allFloat(x, filter)) return fallback(args);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  return guarded(fallback, args, info.outShape, (view, out) => addon.convolutionForward(view(x), view(filter), null, view(out), convShape(info), 0, 0));
};

const fusedConv2d: Make = (addon, fallback) => (args) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha } = args.attrs as unknown as FusedConv2DAttrs;
  const code = ACTIVATIONS[activation];
  // A bias that broadcasts other than per channel, or PReLU's weights, stay with the wasm kernel.
  const channels = filter.shape[3];
  if (dataFormat !== 'NHWC' || preluActivationWeights || code === undefined || !allFloat(x, filter, bias) || (bias && bias.shape.reduce((a, d) => a * d, 1) !== channels)) return fallback(args);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  return guarded(fallback, args, info.outShape, (view, out) => addon.convolutionForward(view(x), view(filter), bias ? view(bias) : null, view(out), convShape(info), code, leakyreluAlpha ?? 0.2));
};

const backpropInput: Make = (addon, fallback) => (args) => {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat !== 'NHWC' || !allFloat(dy, filter)) return fallback(args);
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return guarded(fallback, args, [...inputShape], (view, out) => addon.convolutionBackwardData(view(dy), view(filter), view(out), convShape(info)));
};

const backpropFilter: Make = (addon, fallback) => (args) => {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC' || !allFloat(x, dy)) return fallback(args);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return guarded(fallback, args, [...filterShape], (view, out) => addon.convolutionBackwardWeights(view(x), view(dy), view(out), convShape(info)));
};

const maxPool: Make = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolAttrs;
  if (!allFloat(x)) return fallback(args);
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  return guarded(fallback, args, info.outShape, (view, out) => addon.maxPoolForward(view(x), view(out), poolShape(info)));
};

const maxPoolGrad: Make = (addon, fallback) => (args) => {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  if (!allFloat(dy, input)) return fallback(args);
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  return guarded(fallback, args, [...input.shape], (view, out) => addon.maxPoolBackward(view(input), view(dy), view(out), poolShape(info)));
};

type Shape5 = [number, number, number, number, number];

const conv3d: Make = (addon, fallback) => (args) => {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dilations, dataFormat } = args.attrs as unknown as Conv3DAttrs;
  if (dataFormat !== 'NDHWC' || !allFloat(x, filter)) return fallback(args);
  const info = backend_util.computeConv3DInfo(x.shape as Shape5, filter.shape as Shape5, strides, dilations, pad);
  return guarded(fallback, args, info.outShape, (view, out) => addon.convolutionForward(view(x), view(filter), null, view(out), conv3dShape(info), 0, 0));
};

const conv3dBackpropInput: Make = (addon, fallback) => (args) => {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, inputShape } = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
  if (!allFloat(dy, filter)) return fallback(args);
  const info = backend_util.computeConv3DInfo(inputShape as Shape5, filter.shape as Shape5, strides, 1, pad);
  return guarded(fallback, args, [...inputShape], (view, out) => addon.convolutionBackwardData(view(dy), view(filter), view(out), conv3dShape(info)));
};

const conv3dBackpropFilter: Make = (addon, fallback) => (args) => {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, filterShape } = args.attrs as unknown as Conv3DBackpropFilterV2Attrs;
  if (!allFloat(x, dy)) return fallback(args);
  const info = backend_util.computeConv3DInfo(x.shape as Shape5, filterShape as Shape5, strides, 1, pad);
  return guarded(fallback, args, [...filterShape], (view, out) => addon.convolutionBackwardWeights(view(x), view(dy), view(out), conv3dShape(info)));
};

const maxPool3d: Make = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode, dataFormat } = args.attrs as unknown as MaxPool3DAttrs;
  if (dataFormat !== 'NDHWC' || !allFloat(x)) return fallback(args);
  const info = backend_util.computePool3DInfo(x.shape as Shape5, filterSize, strides, 1, pad, dimRoundingMode);
  return guarded(fallback, args, info.outShape, (view, out) => addon.maxPoolForward(view(x), view(out), pool3dShape(info)));
};

const maxPool3dGrad: Make = (addon, fallback) => (args) => {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPool3DGradAttrs;
  if (!allFloat(dy, input)) return fallback(args);
  const info = backend_util.computePool3DInfo(input.shape as Shape5, filterSize, strides, 1, pad, dimRoundingMode);
  return guarded(fallback, args, [...input.shape], (view, out) => addon.maxPoolBackward(view(input), view(dy), view(out), pool3dShape(info)));
};

/**
 * SegFusion's own kernels (no tfjs op has these names): training-mode batch norm, forward and backward,
 * in one pass each; ReLU's gradient in one pass (instead of Step, Cast and Multiply); one Adam step of
 * one variable in one pass (instead of twelve elementwise kernels).
 */
export const NATIVE_BATCH_NORM = 'SegFusionBatchNorm';
export const NATIVE_BATCH_NORM_GRAD = 'SegFusionBatchNormGrad';
export const NATIVE_RELU_GRAD = 'SegFusionReluGrad';
export const NATIVE_ADAM = 'SegFusionAdam';

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
const reluGrad =
  (addon: DnnlAddon): KernelFunc =>
  (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const b = args.backend as unknown as WasmHeapBackend;
    const out = b.makeOutput([...x.shape], 'float32');
    addon.reluGrad(b.typedArrayFromHeap(x), b.typedArrayFromHeap(dy), b.typedArrayFromHeap(out));
    return out;
  };

/** value, m, v, grad, scalars -> value', m', v': one Adam step of one variable (src/train/adam.ts). */
const adamUpdate =
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
const batchNormForward =
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
const batchNormBackward =
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

/** Whether SegFusion's own native kernels serve the active backend (batchNormTraining, the Relu gradient and Adam ask). */
export const nativeKernelsActive = (backendName: string): boolean => backendName === BACKEND && replaced !== null;

/** tfjs's own Relu gradient while SegFusion's is registered. */
let stockReluGradient: GradConfig | null = null;

/**
 * Relu's gradient as one native pass where the native kernels serve the active backend, tfjs's own
 * (Step, Cast, Multiply) elsewhere: gradients are registered for every backend at once, and a process
 * may train on wasm-native and predict on cpu.
 */
function replaceReluGradient(): void {
  const stock = getGradient(Relu);
  if (!stock || stockReluGradient) return;
  stockReluGradient = stock;
  registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => (nativeKernelsActive(engine().backendName) ? { x: () => engine().runKernel(NATIVE_RELU_GRAD, { x: saved[0], dy: dy as Tensor }) as Tensor } : stock.gradFunc(dy, saved, attrs)),
  });
}

const KERNELS: [string, Make][] = [
  [Conv2D, conv2d],
  [FusedConv2D, fusedConv2d],
  [Conv2DBackpropInput, backpropInput],
  [Conv2DBackpropFilter, backpropFilter],
  [MaxPool, maxPool],
  [MaxPoolGrad, maxPoolGrad],
  [FusedBatchNorm, fusedBatchNorm],
  [Conv3D, conv3d],
  [Conv3DBackpropInputV2, conv3dBackpropInput],
  [Conv3DBackpropFilterV2, conv3dBackpropFilter],
  [MaxPool3D, maxPool3d],
  [MaxPool3DGrad, maxPool3dGrad],
  [Relu, relu],
  [Softmax, softmax],
  [Add, binary(0)],
  [Sub, binary(1)],
  [Multiply, binary(2)],
  [Sum, sum],
  [Pow, pow],
  // The wasm training kernels' row-copy Concat and SplitV, with the addon's memcpy per row.
  [Concat, (addon, fallback) => makeConcat(fallback, addon.copyRows)],
  [SplitV, (addon, fallback) => makeSplitV(fallback, addon.copyRows)],
];

/**
 * Registers the oneDNN kernels on the wasm backend in place of its convolution and max-pool kernels, 2D
 * and 3D (forward, fused bias + activation, both gradients), FusedBatchNorm, Relu, Softmax, and the
 * elementwise Add, Sub, Multiply, Pow and Sum in the broadcasts and reductions training uses, and under
 * SegFusion's own kernel names batch normalisation's training forward and backward, Relu's gradient
 * (which replaces tfjs's while they are registered) and a fused Adam step, with an OpenMP pool of `threads`. The replaced
 * kernels stay as fallbacks for what oneDNN refuses (NCHW, other dtypes, PReLU). Call after the wasm
 * training kernels are registered. Idempotent; throws when the addon is not built.
 */
export function registerNativeKernels(threads: number): NativeProvider {
  const { addon, reason } = loadNativeAddon();
  if (!addon) throw new Error(reason ?? 'the oneDNN addon is not available');
  addon.setThreads(threads);
  if (!replaced) {
    replaced = [];
    for (const [name, make] of KERNELS) {
      const stock = getKernel(name, BACKEND) as KernelConfig | undefined;
      if (!stock) throw new Error(`the wasm backend has no ${name} kernel to replace; register it first`);
      replaced.push(stock);
      unregisterKernel(name, BACKEND);
      registerKernel({ kernelName: name, backendName: BACKEND, setupFunc: stock.setupFunc, kernelFunc: make(addon, stock.kernelFunc) });
    }
    for (const [kernelName, kernelFunc] of [
      [NATIVE_BATCH_NORM, batchNormForward(addon)],
      [NATIVE_BATCH_NORM_GRAD, batchNormBackward(addon)],
      [NATIVE_RELU_GRAD, reluGrad(addon)],
      [NATIVE_ADAM, adamUpdate(addon)],
    ] as const) {
      registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
    }
    replaceReluGradient();
  }
  const i = addon.info();
  return { provider: 'oneDNN', version: i.version, isa: i.isa, threads: i.threads };
}

/** Puts the replaced wasm kernels back (plain wasm after wasm-native in one process). */
export function unregisterNativeKernels(): void {
  if (!replaced) return;
  for (const name of [NATIVE_BATCH_NORM, NATIVE_BATCH_NORM_GRAD, NATIVE_RELU_GRAD, NATIVE_ADAM]) unregisterKernel(name, BACKEND);
  if (stockReluGradient) registerGradient(stockReluGradient);
  stockReluGradient = null;
  for (const k of replaced) {
    unregisterKernel(k.kernelName, BACKEND);
    registerKernel(k);
  }
  replaced = null;
}
