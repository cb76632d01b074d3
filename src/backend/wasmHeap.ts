import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm's BackendWasm that SegFusion's kernels use: its tensors live in the wasm
 * heap, and typedArrayFromHeap views one in place. A view is only valid until the heap grows, so kernels
 * take their views after their last makeOutput.
 */
export interface WasmHeapBackend {
  disposeData(dataId: object): unknown;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}
