import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkShapes, EPSILON, LossOptionError, parseLossOptions, rangeNumber, type LossFn } from './types.js';

export const FocalOptionsSchema = z.strictObject({
  gamma: rangeNumber(0, 10).default(2).describe('Focusing parameter γ in [0, 10] (default 2; Lin et al. found 2 best). γ = 0 with α = 1 is cross-entropy.'),
  alpha: z.array(rangeNumber(0, 1)).optional().describe('Per-class balance α_c in [0, 1] (default all 1), one per class.'),
});
export type FocalOptions = z.input<typeof FocalOptionsSchema>;

/**
 * Multi-class focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"), averaged over voxels:
 *
 *   L = -1/N Σ_voxels Σ_c α_c g_c (1 - p_c)^γ log(clip(p_c))
 *
 * Down-weights voxels that are already classified well, so rare, hard classes drive the gradient.
 * Layout [batch, height, width, classes]; perClass[c] is class c's share of the sum.
 */
export function createFocalLoss(options: FocalOptions = {}): LossFn {
  const name = 'focal';
  const { gamma, alpha } = parseLossOptions(name, FocalOptionsSchema, options);
  return (yTrue, yPred) => {
    checkShapes(name, yTrue, yPred);
    const classes = yTrue.shape[3];
    if (alpha && alpha.length !== classes) throw new LossOptionError(`${name}: alpha has ${alpha.length} entries for ${classes} classes`);
    return tf.tidy(() => {
      const voxels = yTrue.shape[0] * yTrue.shape[1] * yTrue.shape[2];
      const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
      let terms = tf.mul(tf.mul(yTrue, tf.pow(tf.sub(1, p), gamma)), tf.log(p));
      if (alpha) terms = tf.mul(terms, tf.tensor1d(alpha));
      const perClass = tf.div(tf.neg(tf.sum(terms, [0, 1, 2])), voxels) as tf.Tensor1D;
      return { loss: tf.sum(perClass) as tf.Scalar, perClass };
    });
  };
}
