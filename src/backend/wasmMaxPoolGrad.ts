import { backend_util, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasmHeap.js';

/**
 * MaxPoolGrad as one pass over the wasm heap: each window's upstream gradient goes to its first maximum
 * in row-major order among the in-bounds elements (strict >, as the cpu backend decides ties; a window of
 * NaN or -Infinity passes none), and overlapping windows add up. Pools that tile their input (filter =
 * stride, no padding: U-Net's 2x2 stride-2 pool) take an unrolled 2x2 path. The stock wasm kernel takes
 * ~25 ns per input element (55 ms for 8x128x128x16), this a few; it also loses the gradient of windows
 * cut by 'same' padding (a 2x2 pool on a 5x7 input drops the corner's), which the cpu backend keeps.
 * Only non-float32 inputs go to the stock kernel.
 */
export function makeMaxPoolGrad(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    if (input.dtype !== 'float32') return stock(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = info;
    const [batch, height, width, channels] = input.shape;
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(input.shape, 'float32');
    const x = backend.typedArrayFromHeap(input);
    const g = backend.typedArrayFromHeap(dy);
    const dx = backend.typedArrayFromHeap(out);
    const rowStride = width * channels;
    if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && padInfo.top === 0 && padInfo.left === 0 && oh * 2 === height && ow * 2 === width) {
      pool2x2(x, g, dx, [batch, oh, ow, channels], rowStride);
      return out;
    }
    dx.fill(0);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let y = 0; y < oh; y++) {
        const top = y * sh - padInfo.top;
        const rowFrom = Math.max(0, top);
        const rowTo = Math.min(height, top + fh);
        for (let xo = 0; xo < ow; xo++) {
          const left = xo * sw - padInfo.left;
          const colFrom = Math.max(0, left);
          const colTo = Math.min(width, left + fw);
          for (let c = 0; c < channels; c++, o++) {
            let best = -1;
            let bestValue = -Infinity;
            for (let r = rowFrom; r < rowTo; r++) {
              let p = (b * height + r) * rowStride + colFrom * channels + c;
              for (let col = colFrom; col < colTo; col++, p += channels) {
                if (x[p] > bestValue) {
                  bestValue = x[p];
                  best = p;
                }
              }
            }
            if (best >= 0) dx[best] += g[o];
          }
        }
      }
    }
    return out;
  };
}

/** The 2x2 case unrolled, writing all four gradients of each window (no separate zero fill). */
function pool2x2(x: Float32Array, g: Float32Array, dx: Float32Array, [batch, oh, ow, channels]: number[], rowStride: number): void {
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < oh; y++) {
      const rowBase = (b * oh + y) * 2 * rowStride;
      for (let xo = 0; xo < ow; xo++) {
        const p0 = rowBase + xo * 2 * channels;
        for (let c = 0; c < channels; c++, o++) {
          const p00 = p0 + c;
          const p01 = p00 + channels;
          const p10 = p00 + rowStride;
          const p11 = p10 + channels;
          const v00 = x[p00];
          const v01 = x[p01];
          const v10 = x[p10];
          const v11 = x[p11];
          let best = -1;
          let m = -Infinity;
          if (v00 > m) {
            m = v00;
            best = 0;
          }
          if (v01 > m) {
            m = v01;
            best = 1;
          }
          if (v10 > m) {
            m = v10;
            best = 2;
          }
          if (v11 > m) best = 3;
          const d = g[o];
          dx[p00] = best === 0 ? d : 0;
          dx[p01] = best === 1 ? d : 0;
          dx[p10] = best === 2 ? d : 0;
          dx[p11] = best === 3 ? d : 0;
        }
      }
    }
  }
}
