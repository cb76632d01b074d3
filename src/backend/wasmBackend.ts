import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerThreadedWasmBackend } from './threadedWasm.js';
import { registerWasmTrainingKernels } from './wasmTrainingKernels.js';

/** tfjs-backend-wasm's own registration priority, kept when SegFusion replaces its factory. */
const WASM_PRIORITY = 2;

/** What the wasm backend runs with, once initialised. */
export interface WasmBackendState {
  /** Threads of XNNPACK's pool, the calling one included. */
  threads: number;
  /** Why fewer threads than asked for are in use, when that happened. */
  fallback?: string;
}

let active: WasmBackendState | undefined;

/**
 * Activates the wasm backend with SegFusion's training kernels and an XNNPACK pool of `threads` threads
 * (the threaded SIMD build for 2 or more, the single-threaded SIMD build for 1). The first call decides:
 * a wasm module cannot be re-initialised in a process, so later calls return what is in use. If the
 * threaded build fails to start, the single-threaded one is used and the reason returned.
 */
export async function useWasmBackend(threads = 1): Promise<WasmBackendState> {
  registerWasmTrainingKernels();
  if (active) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    return active;
  }
  const require = createRequire(import.meta.url);
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  let fallback: string | undefined;
  if (threads > 1) {
    const stock = tf.findBackendFactory('wasm');
    registerThreadedWasmBackend(threads, WASM_PRIORITY);
    if (!(await tf.setBackend('wasm'))) {
      fallback = `the threaded wasm build did not start with ${threads} threads; using one thread`;
      tf.removeBackend('wasm');
      if (stock) tf.registerBackend('wasm', stock, WASM_PRIORITY);
    }
  }
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  active = { threads: getThreadsCount(), ...(fallback ? { fallback } : {}) };
  return active;
}
