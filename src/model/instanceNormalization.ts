import * as tf from '@tensorflow/tfjs';

/**
 * Instance normalisation (Ulyanov et al. 2016) for NHWC feature maps: each sample and channel is
 * normalised over height and width, then scaled and shifted per channel. nnU-Net's default for small
 * batches, where batch statistics are noisy. tfjs-layers has none, hence this layer.
 */
export class InstanceNormalization extends tf.layers.Layer {
  static className = 'InstanceNormalization';
  private readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(config: { epsilon?: number; name?: string } = {}) {
    super({ name: config.name });
    this.epsilon = config.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) throw new RangeError(`InstanceNormalization: epsilon must be > 0, got ${this.epsilon}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels === null || channels === undefined) throw new Error('InstanceNormalization: the channel dimension must be known');
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon))), this.gamma.read()), this.beta.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(InstanceNormalization);
