import { backend_util, util, type ConcatAttrs, type KernelFunc, type SplitVAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasmHeap.js';

/** Copies `rows` rows of `width` elements between two row-major blocks (the native kernels pass oneDNN's addon's). */
export type RowCopy = (src: Float32Array, srcStride: number, srcOffset: number, dst: Float32Array, dstStride: number, dstOffset: number, rows: number, width: number) => void;

/** Copies rows of `width` elements between two row-major blocks: a plain loop, as V8 compiles it well. */
function copyRows(src: Float32Array, srcStride: number, srcOffset: number, dst: Float32Array, dstStride: number, dstOffset: number, rows: number, width: number): void {
  if (width >= 256) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(srcOffset + r * srcStride, srcOffset + r * srcStride + width), dstOffset + r * dstStride);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = srcOffset + r * srcStride;
    const d = dstOffset + r * dstStride;
    for (let k = 0; k < width; k++) dst[d + k] = src[s + k];
  }
}

/**
 * Concat of float32 tensors along any axis, each seen as [rows, inner] (rows = the dimensions before the
 * axis), copied row by row in a loop. The stock kernel makes a subarray and a set() call per row, which
 * for U-Net's channel concatenations (16 floats per row at full resolution) costs ~6 ns per element.
 */
export function makeConcat(stock: KernelFunc, copy: RowCopy = copyRows): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const axis = util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, inputs[0].shape)[0];
    const parts = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (parts.length < 2 || parts.some((t) => t.dtype !== 'float32')) return stock(args);
    backend_util.assertParamsConsistent(
      inputs.map((t) => t.shape),
      axis,
    );
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(
      backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        axis,
      ),
      'float32',
    );
    const rows = util.sizeFromShape(parts[0].shape.slice(0, axis));
    const widths = parts.map((t) => util.sizeFromShape(t.shape.slice(axis)));
    const total = widths.reduce((a, b) => a + b, 0);
    const dst = backend.typedArrayFromHeap(out);
    let offset = 0;
    parts.forEach((t, i) => {
      copy(backend.typedArrayFromHeap(t), widths[i], 0, dst, total, offset, rows, widths[i]);
      offset += widths[i];
    });
    return out;
  };
}

/**
 * SplitV of a float32 tensor along any axis, the inverse copy of makeConcat. The stock kernel slices each
 * part, and a slice that is not contiguous (any split along the channels) costs ~12 ns per element: 50 ms
 * for the gradient of U-Net's first skip concatenation at 8x128x128x32.
 */
export function makeSplitV(stock: KernelFunc, copy: RowCopy = copyRows): KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    if (x.dtype !== 'float32') return stock(args);
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const backend = args.backend as unknown as WasmHeapBackend;
    const outs = sizes.map((s) =>
      backend.makeOutput(
        x.shape.map((d, i) => (i === $axis ? s : d)),
        'float32',
      ),
    );
    const rows = util.sizeFromShape(x.shape.slice(0, $axis));
    const inner = util.sizeFromShape(x.shape.slice($axis + 1));
    const total = x.shape[$axis] * inner;
    const src = backend.typedArrayFromHeap(x);
    let offset = 0;
    outs.forEach((out, i) => {
      const width = sizes[i] * inner;
      if (width > 0) copy(src, total, offset, backend.typedArrayFromHeap(out), width, 0, rows, width);
      offset += width;
    });
    return outs;
  };
}
