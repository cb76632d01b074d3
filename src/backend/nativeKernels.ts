import { Concat, getGradient, getKernel, registerGradient, registerKernel, Relu, SplitV, unregisterKernel, type GradConfig, type KernelConfig, type Tensor, engine } from '@tensorflow/tfjs-core';
import { loadNativeAddon, type Make, type NativeProvider } from './nativeAddon.js';
import { CONV_KERNELS } from './nativeConvKernels.js';
import { adamUpdate, batchNormBackward, batchNormForward, ELEMENTWISE_KERNELS, reluGrad } from './nativeElementwiseKernels.js';
import { makeConcat, makeSplitV } from './wasmConcatSplit.js';

const BACKEND = 'wasm';

/** The wasm kernels the native ones replaced, restored by unregisterNativeKernels(); null while they are not registered. */
let replaced: KernelConfig[] | null = null;

/**
 * SegFusion's own kernels (no tfjs op has these names): training-mode batch norm, forward and backward,
 * in one pass each; ReLU's gradient in one pass (instead of Step, Cast and Multiply); one Adam step of
 * one variable in one pass (instead of twelve elementwise kernels).
 */
export const NATIVE_BATCH_NORM = 'SegFusionBatchNorm';
export const NATIVE_BATCH_NORM_GRAD = 'SegFusionBatchNormGrad';
export const NATIVE_RELU_GRAD = 'SegFusionReluGrad';
export const NATIVE_ADAM = 'SegFusionAdam';

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
  ...CONV_KERNELS,
  ...ELEMENTWISE_KERNELS,
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
