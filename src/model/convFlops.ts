import type * as tf from '@tensorflow/tfjs';

export class ConvFlopsError extends RangeError {
  override name = 'ConvFlopsError';
}

export interface ConvFlops {
  /** Floating-point operations (a multiply-add counts 2) of all convolutions in one forward pass. */
  forward: number;
  /** Forward, plus the filter gradient of every convolution and the input gradient of every convolution
   * whose input is not a model input (autodiff skips those): what one training step costs. */
  training: number;
}

type Shape = (number | null)[];

/**
 * Convolution FLOPs of a Keras-style model for a concrete input shape [batch, height, width, channels]:
 * 2·B·OH·OW·KH·KW·Cin·Cout per Conv2D, 2·B·IH·IW·KH·KW·Cin·Cout per Conv2DTranspose. Shapes are
 * propagated layer by layer with each layer's own computeOutputShape, because SegFusion's models take
 * any spatial size (their symbolic shapes are null there). Convolutions are nearly all of a U-Net's
 * arithmetic; normalisation, activations and pooling are left out, so this is the work a GEMM library
 * must do, which bench:train divides by the backend's measured convolution throughput.
 */
export function convFlops(model: tf.LayersModel, inputShape: [number, number, number, number]): ConvFlops {
  if (model.inputs.length !== 1) throw new ConvFlopsError(`convFlops needs a model with one input, got ${model.inputs.length}`);
  const shapes = new Map<string, Shape>();
  const inputLayers = new Set<string>();
  let forward = 0;
  let inputGradients = 0;
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length === 0) {
      shapes.set(layer.name, inputShape);
      inputLayers.add(layer.name);
      continue;
    }
    const inShapes = inbound.map((l) => {
      const s = shapes.get(l.name);
      if (!s) throw new ConvFlopsError(`layer ${layer.name} reads ${l.name}, whose shape is not known yet`);
      return s;
    });
    const inShape = inShapes.length === 1 ? inShapes[0] : inShapes;
    const outShape = layer.computeOutputShape(inShape as never) as Shape;
    shapes.set(layer.name, outShape);
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'Conv2DTranspose') continue;
    const kernel = layer.getWeights()[0].shape;
    const [kh, kw] = kernel;
    const [batch, ih, iw, cin] = inShapes[0] as number[];
    const [, oh, ow, cout] = outShape as number[];
    const flops = className === 'Conv2D' ? 2 * batch * oh * ow * kh * kw * cin * cout : 2 * batch * ih * iw * kh * kw * cin * cout;
    forward += flops;
    if (!inbound.every((l) => inputLayers.has(l.name))) inputGradients += flops;
  }
  return { forward, training: 2 * forward + inputGradients };
}
