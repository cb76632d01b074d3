import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { batchNormalization } from './batchNormalization.js';
import { InstanceNormalization } from './instanceNormalization.js';

/** The architecture a run config chooses (classes and patch size come from the dataset and sampling). */
export const UNetArchitectureSchema = z.strictObject({
  /** Number of down-sampling steps (default 3). */
  depth: z.number().int().min(1).max(6).default(3),
  /** Filters at the first level, doubled at each level down (default 16). */
  baseFilters: z.number().int().min(1).max(256).default(16),
  normalization: z.enum(['batch', 'instance', 'none']).default('batch'),
  /** Dropout rate at the bottleneck, in [0, 0.9] (default 0). */
  dropout: z.number().min(0).max(0.9).default(0),
  /** Adjacent slices fed as channels (2.5D); odd, the centre slice is the one segmented (default 1). */
  inputSlices: z
    .number()
    .int()
    .min(1)
    .max(15)
    .refine((k) => k % 2 === 1, 'inputSlices must be odd')
    .default(1),
});

/** U-Net configuration; part of every run's recorded config and of exported models' metadata. */
export const UNetConfigSchema = UNetArchitectureSchema.extend({
  /** Output classes including background (>= 2). */
  classes: z.number().int().min(2).max(255),
  /** Input height and width in pixels (the training patch size); must be divisible by 2^depth. */
  inputSize: z.number().int().min(8).max(1024).default(128),
}).superRefine((c, ctx) => {
  if (c.inputSize % 2 ** c.depth !== 0) ctx.addIssue({ code: 'custom', path: ['inputSize'], message: `inputSize ${c.inputSize} must be divisible by 2^depth = ${2 ** c.depth}` });
});
export type UNetConfig = z.infer<typeof UNetConfigSchema>;
export type UNetConfigInput = z.input<typeof UNetConfigSchema>;

export class ModelConfigError extends RangeError {
  override name = 'ModelConfigError';
}

export interface UNet {
  config: UNetConfig;
  /** Input [batch, size, size, inputSlices] -> softmax probabilities [batch, size, size, classes]. */
  model: tf.LayersModel;
  /** The final 1x1 convolution: the last layer shared by every loss (GradNorm measures gradients there). */
  head: tf.layers.Layer;
  /** Trainable parameters (batch-norm moving statistics excluded, as PyTorch's parameters() does). */
  parameters: number;
}

/** Seeded initialisers: the same config and seed give the same initial weights on every run. */
class Initializers {
  private next: number;
  constructor(seed: number | undefined) {
    this.next = seed ?? Math.floor(Math.random() * 2 ** 31);
  }
  heNormal(): ReturnType<typeof tf.initializers.heNormal> {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorotUniform(): ReturnType<typeof tf.initializers.heNormal> {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}

/**
 * Batch norm with momentum 0.9 (PyTorch's default, written 0.1 there): tfjs's default 0.99 leaves the
 * moving statistics near their initial values for hundreds of steps, so early validation would score a
 * network that inference does not yet see.
 */
function normalize(x: tf.SymbolicTensor, kind: UNetConfig['normalization'], name: string): tf.SymbolicTensor {
  if (kind === 'batch') return batchNormalization({ axis: -1, momentum: 0.9, name }).apply(x) as tf.SymbolicTensor;
  if (kind === 'instance') return new InstanceNormalization({ name }).apply(x) as tf.SymbolicTensor;
  return x;
}

/** Two 3x3 convolutions, each followed by normalisation and ReLU. */
function block(x: tf.SymbolicTensor, filters: number, c: UNetConfig, init: Initializers, name: string): tf.SymbolicTensor {
  let y = x;
  for (let i = 0; i < 2; i++) {
    y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: c.normalization === 'none', kernelInitializer: init.heNormal(), name: `${name}_conv${i}` }).apply(y) as tf.SymbolicTensor;
    y = normalize(y, c.normalization, `${name}_norm${i}`);
    y = tf.layers.reLU({ name: `${name}_relu${i}` }).apply(y) as tf.SymbolicTensor;
  }
  return y;
}

/**
 * 2D U-Net (Ronneberger et al. 2015) as nnU-Net configures it for 2D: 2 conv-norm-ReLU per level,
 * max-pool down, 2x2 transposed-convolution up, skip concatenation, 1x1 head and softmax. The input's
 * height and width are left open: training uses inputSize patches, inference whole slices of any size
 * divisible by 2^depth. `seed` makes the initial weights (and dropout masks) reproducible.
 */
export function buildUNet(input: UNetConfigInput, options: { seed?: number } = {}): UNet {
  const parsed = UNetConfigSchema.safeParse(input);
  if (!parsed.success) throw new ModelConfigError(`U-Net config: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  const init = new Initializers(options.seed);
  // tfjs accepts null (any size) spatial dimensions although its typing says number[].
  const inputs = tf.input({ shape: [null, null, c.inputSlices] as unknown as number[], name: 'slices' });
  const skips: tf.SymbolicTensor[] = [];
  let x = inputs;
  for (let level = 0; level < c.depth; level++) {
    x = block(x, c.baseFilters * 2 ** level, c, init, `down${level}`);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${level}` }).apply(x) as tf.SymbolicTensor;
  }
  x = block(x, c.baseFilters * 2 ** c.depth, c, init, 'bottleneck');
  if (c.dropout > 0) x = tf.layers.dropout({ rate: c.dropout, seed: options.seed, name: 'bottleneck_dropout' }).apply(x) as tf.SymbolicTensor;
  for (let level = c.depth - 1; level >= 0; level--) {
    const filters = c.baseFilters * 2 ** level;
    x = tf.layers.conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: init.heNormal(), name: `up${level}_transpose` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ axis: -1, name: `up${level}_concat` }).apply([skips[level], x]) as tf.SymbolicTensor;
    x = block(x, filters, c, init, `up${level}`);
  }
  const head = tf.layers.conv2d({ filters: c.classes, kernelSize: 1, kernelInitializer: init.glorotUniform(), name: 'head' });
  const logits = head.apply(x) as tf.SymbolicTensor;
  const probabilities = tf.layers.softmax({ axis: -1, name: 'probabilities' }).apply(logits) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: probabilities, name: 'segfusion_unet' });
  const parameters = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  return { config: c, model, head, parameters };
}
