import {
  backend_util,
  Concat,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  Identity,
  MaxPoolGrad,
  registerKernel,
  SplitV,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { makeConcat, makeSplitV } from './wasmConcatSplit.js';
import type { WasmHeapBackend } from './wasmHeap.js';
import { makeMaxPoolGrad } from './wasmMaxPoolGrad.js';

const BACKEND = 'wasm';

/** Runs another wasm kernel directly (no tape, no engine bookkeeping), as tfjs backends do internally. */
function run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: WasmHeapBackend): TensorInfo {
  const kernel = getKernel(name, BACKEND);
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel; load @tensorflow/tfjs-backend-wasm first`);
  return kernel.kernelFunc({ inputs, attrs, backend: backend as never }) as TensorInfo;
}

/** A stride-1 NHWC Conv2D with explicit [top, bottom, left, right] padding: both gradients below are one. */
function paddedConv(x: TensorInfo, filter: TensorInfo, [top, bottom, left, right]: number[], dilations: [number, number], b: WasmHeapBackend): TensorInfo {
  const pad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined as never }, b);
}

function dispose(backend: WasmHeapBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * dW = conv2d(transpose(x) [Cin,H,W,B], transpose(dy) [OH,OW,B,Cout], dilation = stride), transposed
 * back to [KH,KW,Cin,Cout]: the filter gradient as one XNNPACK convolution. Padding is made explicit so
 * the output is exactly KH x KW; input rows and columns that the forward pass never read are cropped.
 */
const backpropFilter: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const b = backend as unknown as WasmHeapBackend;
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [batch, height, width, inChannels] = x.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  let bottom = kh + (oh - 1) * sh - height - top;
  let right = kw + (ow - 1) * sw - width - left;
  const temps: TensorInfo[] = [];
  let input = x;
  if (bottom < 0 || right < 0) {
    input = run('Slice', { x }, { begin: [0, 0, 0, 0], size: [batch, height + Math.min(0, bottom), width + Math.min(0, right), inChannels] }, b);
    temps.push(input);
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  const xt = run('Transpose', { x: input }, { perm: [3, 1, 2, 0] }, b);
  const dyt = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, b);
  const conv = paddedConv(xt, dyt, [top, bottom, left, right], [sh, sw], b);
  const out = run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] }, b);
  dispose(b, ...temps, xt, dyt, conv);
  return out;
};

/**
 * x [blocks, ...] with its blocks in reverse order: the spatial flip of a [KH·KW, ...] filter, as one
 * memcpy per block. The stock Reverse kernel takes ~75 ns per element (45 ms for a 3x3x256x256 filter,
 * on every step of the input gradient), a block copy well under 1 ns per element.
 */
function reverseBlocks(x: TensorInfo, b: WasmHeapBackend): TensorInfo {
  const out = b.makeOutput(x.shape, 'float32');
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const blocks = x.shape[0];
  const size = src.length / blocks;
  for (let i = 0; i < blocks; i++) dst.set(src.subarray((blocks - 1 - i) * size, (blocks - i) * size), i * size);
  return out;
}

/**
 * The input gradient when the filter tiles the input exactly (filter size = stride, no padding or crop:
 * U-Net's 2x2 stride-2 transposed convolution), as one product and a rearrangement:
 *   dX[b, y·sh + i, x·sw + j, ci] = Σ_co dy[b, y, x, co] · W[i, j, ci, co]
 * i.e. dy [B·OH·OW, Cout] × W [Cout, (i, j, ci)], whose rows are then interleaved into the output grid.
 * The dilated convolution below would multiply three zeros out of four here.
 */
function nonOverlappingBackpropInput(dy: TensorInfo, filter: TensorInfo, [batch, oh, ow, kh, kw]: number[], b: WasmHeapBackend): TensorInfo {
  const [, , inChannels, outChannels] = filter.shape;
  const wt = run('Transpose', { x: filter }, { perm: [3, 0, 1, 2] }, b);
  const w3 = run('Reshape', { x: wt }, { shape: [1, outChannels, kh * kw * inChannels] }, b);
  const dy3 = run('Reshape', { x: dy }, { shape: [1, batch * oh * ow, outChannels] }, b);
  const product = run('BatchMatMul', { a: dy3, b: w3 }, { transposeA: false, transposeB: false }, b);
  const blocks = run('Reshape', { x: product }, { shape: [batch * oh, ow, kh, kw * inChannels] }, b);
  const rows = run('Transpose', { x: blocks }, { perm: [0, 2, 1, 3] }, b);
  const out = run('Reshape', { x: rows }, { shape: [batch, oh * kh, ow * kw, inChannels] }, b);
  dispose(b, wt, w3, dy3, product, blocks, rows);
  return out;
}

/**
 * dX = conv2d(zero-dilated dy, filter flipped in space with in/out channels swapped), stride 1: the input
 * gradient as one XNNPACK convolution instead of upstream's scalar loop. Paddings that would need
 * negative amounts (pads larger than the filter) fall back to the stock kernel.
 */
function makeBackpropInput(stock: KernelFunc): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    const b = backend as unknown as WasmHeapBackend;
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const [batch, height, width] = inputShape;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    const dilatedH = (oh - 1) * sh + 1;
    const dilatedW = (ow - 1) * sw + 1;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = height + kh - 1 - dilatedH - top;
    const right = width + kw - 1 - dilatedW - left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return stock({ inputs, attrs, backend });
    if (kh === sh && kw === sw && info.padInfo.top === 0 && info.padInfo.left === 0 && oh * sh === height && ow * sw === width) {
      return nonOverlappingBackpropInput(dy, filter, [batch, oh, ow, kh, kw], b);
    }
    const temps: TensorInfo[] = [];
    let spread = dy;
    if (sh > 1 || sw > 1) {
      const outChannels = dy.shape[3];
      const r6 = run('Reshape', { x: dy }, { shape: [batch, oh, 1, ow, 1, outChannels] }, b);
      const padded = run(
        'PadV2',
        { x: r6 },
        {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
        b,
      );
      const r4 = run('Reshape', { x: padded }, { shape: [batch, oh * sh, ow * sw, outChannels] }, b);
      spread = run('Slice', { x: r4 }, { begin: [0, 0, 0, 0], size: [batch, dilatedH, dilatedW, outChannels] }, b);
      temps.push(r6, padded, r4, spread);
    }
    const [, , inChannels, outChannels] = filter.shape;
    const blocks = run('Reshape', { x: filter }, { shape: [kh * kw, inChannels, outChannels] }, b);
    const swapped = run('Transpose', { x: blocks }, { perm: [0, 2, 1] }, b);
    const flipped = reverseBlocks(swapped, b);
    const flipped4 = run('Reshape', { x: flipped }, { shape: [kh, kw, outChannels, inChannels] }, b);
    const out = paddedConv(spread, flipped4, [top, bottom, left, right], [1, 1], b);
    dispose(b, ...temps, blocks, swapped, flipped, flipped4);
    return out;
  };
}

/**
 * Identity sharing the input's buffer by reference count, as the cpu and webgl backends do. tfjs clones
 * through Identity every tensor a gradient will need (saveTensorsForBackwardMode), and the stock wasm
 * kernel copies each one: about 190 million floats per step of bench:train's U-Net. Tensors are never
 * written in place, so sharing is safe; strings keep the stock path (they live outside the wasm heap).
 */
function makeIdentity(stock: KernelFunc): KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    if (x.dtype === 'string') return stock(args);
    (args.backend as unknown as WasmHeapBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

let registered = false;

/**
 * Registers SegFusion's training kernels on the wasm backend: Conv2DBackpropFilter (missing upstream),
 * a Conv2DBackpropInput built on XNNPACK's Conv2D (upstream's is a slow scalar loop), an Identity
 * that does not copy, a one-pass MaxPoolGrad, and Concat and SplitV as row copies. Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  replaceKernel(Conv2DBackpropFilter, () => backpropFilter);
  replaceKernel(Conv2DBackpropInput, makeBackpropInput);
  replaceKernel(Identity, makeIdentity);
  replaceKernel(MaxPoolGrad, makeMaxPoolGrad);
  replaceKernel(Concat, makeConcat);
  replaceKernel(SplitV, makeSplitV);
  registered = true;
}

/**
 * Registers make(stock kernel) in place of the stock kernel. The stock kernel's setupFunc, which binds its
 * wasm function when the backend starts, is kept: the replacements fall back to the stock kernels for the
 * cases they do not cover. Where there is no stock kernel, that fallback throws with the case's attributes.
 */
function replaceKernel(kernelName: string, make: (stock: KernelFunc) => KernelFunc): void {
  const stock = getKernel(kernelName, BACKEND) as KernelConfig | undefined;
  if (stock) unregisterKernel(kernelName, BACKEND);
  const fallback: KernelFunc =
    stock?.kernelFunc ??
    ((args) => {
      throw new Error(`${kernelName} with ${JSON.stringify(args.attrs)} needs the stock wasm kernel, which is not registered`);
    });
  registerKernel({ kernelName, backendName: BACKEND, setupFunc: stock?.setupFunc, kernelFunc: make(fallback) });
}
