import { createRequire } from 'node:module';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { loadConfig } from '../config.js';
import type { WasmHeapBackend } from './wasmHeap.js';

/** The functions of native/src/dnnl_kernels.cc (shape arrays as documented there). */
export interface DnnlAddon {
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

/** A native kernel's factory: the addon and the wasm kernel it replaces (its fallback). */
export type Make = (addon: DnnlAddon, fallback: KernelFunc) => KernelFunc;

/** Overrides SEGFUSION_NATIVE_STRICT for this process (tests: no silent fallback); null: the config's. */
let strict: boolean | null = null;
export function setNativeStrict(on: boolean | null): void {
  strict = on;
}

/** Runs `native` (which fills its output in place); anything oneDNN refuses goes to the kernel it replaced. */
export function guarded(fallback: KernelFunc, args: Parameters<KernelFunc>[0], outShape: number[], native: (views: (t: TensorInfo) => Float32Array, out: TensorInfo) => void): TensorInfo {
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

export const allFloat = (...ts: (TensorInfo | undefined)[]) => ts.every((t) => !t || t.dtype === 'float32');
