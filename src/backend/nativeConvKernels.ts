import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Conv3D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  FusedConv2D,
  MaxPool,
  MaxPool3D,
  MaxPool3DGrad,
  MaxPoolGrad,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type Conv3DAttrs,
  type Conv3DBackpropFilterV2Attrs,
  type Conv3DBackpropInputV2Attrs,
  type FusedConv2DAttrs,
  type MaxPool3DAttrs,
  type MaxPool3DGradAttrs,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { allFloat, guarded, type Make } from './nativeAddon.js';

/** tfjs's fused activations that oneDNN applies as a post-op, by the codes of dnnl_kernels.cc. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5 };

/**
 * The shape arrays of dnnl_kernels.cc: [s, N, channels..., then per block its s spatial values], s = 2
 * or 3. Conv: [s, N, Ci, Co, in, kernel, out, stride, dilation, padBefore, padAfter]; pool: [s, N, C,
 * in, kernel, out, stride, padBefore, padAfter].
 */
const pack = (head: number[], blocks: number[][]) => Int32Array.from([blocks[0].length, ...head, ...blocks.flat()]);

const spatial2d = (i: backend_util.Conv2DInfo) => [
  [i.inHeight, i.inWidth],
  [i.filterHeight, i.filterWidth],
  [i.outHeight, i.outWidth],
  [i.strideHeight, i.strideWidth],
];

function convShape(i: backend_util.Conv2DInfo): Int32Array {
  const p = i.padInfo;
  return pack([i.batchSize, i.inChannels, i.outChannels], [...spatial2d(i), [i.dilationHeight, i.dilationWidth], [p.top, p.left], [p.bottom, p.right]]);
}

function poolShape(i: backend_util.Conv2DInfo): Int32Array {
  const p = i.padInfo;
  return pack([i.batchSize, i.inChannels], [...spatial2d(i), [p.top, p.left], [p.bottom, p.right]]);
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

/** oneDNN's convolutions and max pooling, 2D and 3D (forward, fused bias + activation, both gradients), by the wasm kernel each replaces. */
export const CONV_KERNELS: [string, Make][] = [
  [Conv2D, conv2d],
  [FusedConv2D, fusedConv2d],
  [Conv2DBackpropInput, backpropInput],
  [Conv2DBackpropFilter, backpropFilter],
  [MaxPool, maxPool],
  [MaxPoolGrad, maxPoolGrad],
  [Conv3D, conv3d],
  [Conv3DBackpropInputV2, conv3dBackpropInput],
  [Conv3DBackpropFilterV2, conv3dBackpropFilter],
  [MaxPool3D, maxPool3d],
  [MaxPool3DGrad, maxPool3dGrad],
];
