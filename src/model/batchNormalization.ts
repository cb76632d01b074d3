import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from './batchNormTraining.js';

/** What the override reads of tfjs-layers' BatchNormalization (protected there). */
interface BatchNormalizationState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type LayerClass = new (args?: LayerArgs) => tf.layers.Layer;

/** tfjs-layers does not export the class itself, only its factory. */
const StockBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as LayerClass;

/**
 * tfjs-layers' BatchNormalization with the training-mode forward and backward pass of
 * batchNormTraining (one differentiated op instead of moments() + FusedBatchNorm autodiff). Inference,
 * the moving-average update (moving ← moving − (1 − momentum)(moving − batch)), weights and config are
 * the stock layer's, and so is the class name: a saved model loads with plain tf.loadLayersModel.
 */
class FastBatchNormalization extends StockBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as BatchNormalizationState;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const channelsLast = s.axis === -1 || s.axis === x.rank - 1;
    if (kwargs.training !== true || !channelsLast || !s.center || !s.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D, s.epsilon);
      const decay = 1 - s.momentum;
      for (const [moving, batch] of [
        [s.movingMean, mean],
        [s.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = moving.read();
          moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), decay)));
        });
      }
      return y;
    });
  }
}

/** A batch-normalisation layer (channels-last) that trains with SegFusion's fused batch-norm op. */
export function batchNormalization(args: LayerArgs): tf.layers.Layer {
  return new FastBatchNormalization(args);
}
