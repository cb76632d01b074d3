import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** The emscripten module of tfjs-backend-wasm's threaded SIMD build, as far as SegFusion touches it. */
interface ThreadedModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  PThread: { runningWorkers: { unref(): void }[] };
  tfjs?: unknown;
}
type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** tfjs's wasm build starts 8 pthread workers, the most its thread pool can use. */
export const MAX_WASM_THREADS = 8;

/**
 * Registers tfjs-backend-wasm's threaded SIMD build as the 'wasm' backend, with an XNNPACK thread pool of
 * `threads` threads (the calling thread included). Upstream only picks this build where a browser offers
 * cross-origin isolation, so Node always got the single-threaded one; three things make it load here:
 * - Node's Worker cannot start from the Blob URL upstream builds, so the pthreads start from
 *   wasmPthreadWorker.cjs, which evaluates the same worker script.
 * - The pool is capped at emscripten_num_logical_cores()/2 (it assumes two hyper-threads per core, so a
 *   2-core machine got one thread); that import is answered with twice the requested count.
 * - Pool threads wait forever for work, and emscripten keeps their workers referenced, which would keep
 *   every CLI process alive after its work is done; they are unreferenced once the pool exists.
 * Must run before the backend is first initialised; returns nothing, the count is read after setBackend.
 */
export function registerThreadedWasmBackend(threads: number, priority: number): void {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new RangeError(`threaded wasm needs 2..${MAX_WASM_THREADS} threads, got ${threads}`);
  }
  const require = createRequire(import.meta.url);
  const factoryPath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const wasmPath = factoryPath.replace(/\.js$/, '.wasm');
  const workerPath = fileURLToPath(new URL('./wasmPthreadWorker.cjs', import.meta.url));
  const factory = require(factoryPath) as Factory;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await factory({
        mainScriptUrlOrBlob: factoryPath,
        locateFile: (file: string) => (file.endsWith('.worker.js') ? workerPath : wasmPath),
        instantiateWasm: (imports: { env: Record<string, unknown> }, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
          imports.env.emscripten_num_logical_cores = () => 2 * threads;
          void WebAssembly.instantiate(readFileSync(wasmPath), imports as unknown as WebAssembly.Imports).then((r) => receive(r.instance, r.module));
          return {};
        },
      });
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      for (const worker of module.PThread.runningWorkers) worker.unref();
      if (getThreadsCount() !== threads) throw new Error(`the wasm thread pool has ${getThreadsCount()} threads, ${threads} were asked for`);
      return backend;
    },
    priority,
  );
}
