import { createRequire } from 'node:module';
import {
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
  getKernel,
  MaxPool,
  MaxPool3D,
  MaxPool3DGrad,
  MaxPoolGrad,
  registerKernel,
  SplitV,
  unregisterKernel,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type Conv3DAttrs,
  type Conv3DBackpropFilterV2Attrs,
  type Conv3DBackpropInputV2Attrs,
  type FusedBatchNormAttrs,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type MaxPool3DAttrs,
  type MaxPool3DGradAttrs,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
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

/** SegFusion's own kernels (no tfjs op has these names): training-mode batch norm, forward and backward, in one pass each. */
export const NATIVE_BATCH_NORM = 'SegFusionBatchNorm';
export const NATIVE_BATCH_NORM_GRAD = 'SegFusionBatchNormGrad';

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

/** Whether the batch-norm kernels above serve the active backend (batchNormTraining asks). */
export const hasNativeBatchNorm = (backendName: string): boolean => backendName === BACKEND && replaced !== null;

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
  // The wasm training kernels' row-copy Concat and SplitV, with the addon's memcpy per row.
  [Concat, (addon, fallback) => makeConcat(fallback, addon.copyRows)],
  [SplitV, (addon, fallback) => makeSplitV(fallback, addon.copyRows)],
];

/**
 * Registers the oneDNN kernels on the wasm backend in place of its convolution and max-pool kernels, 2D
 * and 3D (forward, fused bias + activation, both gradients), FusedBatchNorm, and batch normalisation's training forward and
 * backward under SegFusion's own kernel names, with an OpenMP pool of `threads`. The replaced
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
    registerKernel({ kernelName: NATIVE_BATCH_NORM, backendName: BACKEND, kernelFunc: batchNormForward(addon) });
    registerKernel({ kernelName: NATIVE_BATCH_NORM_GRAD, backendName: BACKEND, kernelFunc: batchNormBackward(addon) });
  }
  const i = addon.info();
  return { provider: 'oneDNN', version: i.version, isa: i.isa, threads: i.threads };
}

/** Puts the replaced wasm kernels back (plain wasm after wasm-native in one process). */
export function unregisterNativeKernels(): void {
  if (!replaced) return;
  unregisterKernel(NATIVE_BATCH_NORM, BACKEND);
  unregisterKernel(NATIVE_BATCH_NORM_GRAD, BACKEND);
  for (const k of replaced) {
    unregisterKernel(k.kernelName, BACKEND);
    registerKernel(k);
  }
  replaced = null;
}
