import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../config.js';
import { BACKEND_ORDER, type BackendChoice } from './backendChoice.js';
import { registerBatchNormGradient } from './batchNormGradient.js';
import type { NativeProvider } from './nativeAddon.js';
import { registerNativeKernels, unregisterNativeKernels } from './nativeKernels.js';
import { useWasmBackend } from './wasmBackend.js';

export { BACKEND_ORDER, type BackendChoice };

/** What a run records about the backend it trained on. */
export interface BackendReport {
  choice: BackendChoice;
  /** tf.getBackend() after selection. */
  tfBackend: string;
  /** Version of the package that provides it. */
  version: string;
  /** Why earlier choices were skipped, in order. */
  skipped: { choice: BackendChoice; reason: string }[];
  /** Threads of the wasm backend's XNNPACK pool; the native backends size their own pools. */
  threads?: number;
  /** wasm-native: the library behind its convolution and pooling kernels, its instruction set and threads. */
  kernels?: NativeProvider;
  warning?: string;
}

export interface SelectBackendOptions {
  /** Threads for the wasm backend (default SEGFUSION_THREADS, else the machine's cores, at most 8). */
  threads?: number;
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

const PACKAGES: Record<BackendChoice, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  'wasm-native': '@tensorflow/tfjs-backend-wasm',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

function packageVersion(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function activate(choice: BackendChoice, threads: number): Promise<Partial<BackendReport>> {
  if (choice === 'tensorflow-gpu' || choice === 'tensorflow') {
    // Optional dependencies: absent, or present without libtensorflow when its download failed at install.
    const spec = PACKAGES[choice];
    await import(spec);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
    return {};
  }
  if (choice === 'wasm-native' || choice === 'wasm') {
    const state = await useWasmBackend(threads);
    const extra = { threads: state.threads, ...(state.fallback ? { warning: state.fallback } : {}) };
    if (choice === 'wasm') {
      unregisterNativeKernels();
      return extra;
    }
    return { ...extra, kernels: registerNativeKernels(threads) };
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
  return { warning: 'the pure-JS cpu backend is very slow for training (minutes per U-Net step); install @tensorflow/tfjs-node or use the wasm backend' };
}

/**
 * Selects the TF.js backend: the forced one, or the first that loads of tfjs-node-gpu (CUDA), wasm with
 * oneDNN's convolutions (the @segfusion/native addon), tfjs-node (libtensorflow), wasm with SegFusion's
 * training kernels, and the pure-JS cpu backend. Also installs the Tile-free batch-norm gradient, which
 * serves every backend.
 */
export async function selectBackend(forced?: BackendChoice, options: SelectBackendOptions = {}): Promise<BackendReport> {
  const threads = options.threads ?? loadConfig().threads;
  const candidates = forced ? [forced] : [...BACKEND_ORDER];
  const skipped: BackendReport['skipped'] = [];
  for (const choice of candidates) {
    try {
      const extra = await activate(choice, threads);
      registerBatchNormGradient();
      return { choice, tfBackend: tf.getBackend(), version: packageVersion(PACKAGES[choice]), skipped, ...extra };
    } catch (err) {
      skipped.push({ choice, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    }
  }
  throw new BackendUnavailableError(`no TF.js backend could be loaded: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}`);
}
