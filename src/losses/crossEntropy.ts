import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkShapes, EPSILON, LossOptionError, parseLossOptions, rangeNumber, type LossFn } from './types.js';

export const CrossEntropyOptionsSchema = z.strictObject({
  classWeights: z.array(rangeNumber(0, Infinity)).optional().describe('Per-class weights w_c >= 0 (default all 1), one per class.'),
});
export type CrossEntropyOptions = z.input<typeof CrossEntropyOptionsSchema>;

/**
 * Categorical cross-entropy, averaged over voxels:  L = -1/N Σ_voxels Σ_c w_c g_c log(clip(p_c)).
 * Layout [batch, height, width, classes]; perClass[c] is class c's share of that sum.
 */
export function createCrossEntropyLoss(options: CrossEntropyOptions = {}): LossFn {
  const name = 'crossEntropy';
  const weights = parseLossOptions(name, CrossEntropyOptionsSchema, options).classWeights;
  return (yTrue, yPred) => {
    checkShapes(name, yTrue, yPred);
    const classes = yTrue.shape[3];
    if (weights && weights.length !== classes) throw new LossOptionError(`${name}: classWeights has ${weights.length} entries for ${classes} classes`);
    return tf.tidy(() => {
      const voxels = yTrue.shape[0] * yTrue.shape[1] * yTrue.shape[2];
      let terms = tf.mul(yTrue, tf.log(tf.clipByValue(yPred, EPSILON, 1 - EPSILON)));
      if (weights) terms = tf.mul(terms, tf.tensor1d(weights));
      const perClass = tf.div(tf.neg(tf.sum(terms, [0, 1, 2])), voxels) as tf.Tensor1D;
      return { loss: tf.sum(perClass) as tf.Scalar, perClass };
    });
  };
}
