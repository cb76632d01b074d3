import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkShapes, LossOptionError, parseLossOptions, rangeNumber, type LossFn } from './types.js';

export const TverskyOptionsSchema = z.strictObject({
  alpha: rangeNumber(0, 1).default(0.3).describe('Weight of false positives α in [0, 1] (default 0.3).'),
  beta: rangeNumber(0, 1).default(0.7).describe('Weight of false negatives β in [0, 1] (default 0.7: favours recall of small structures). α = β = 0.5 is Dice.'),
  includeBackground: z.boolean().default(false).describe('Include class 0 in the mean (default false).'),
  smooth: rangeNumber(0, Infinity).default(1e-5).describe('Added to numerator and denominator, >= 0 (default 1e-5).'),
});
export type TverskyOptions = z.input<typeof TverskyOptionsSchema>;

/**
 * Tversky loss (Salehi et al. 2017), sums over batch, height and width:
 *
 *   T_c = (Σ p g + s) / (Σ p g + α Σ p (1 - g) + β Σ (1 - p) g + s),    L = 1 - mean_c T_c
 *
 * Layout [batch, height, width, classes]; perClass[c] = (1 - T_c) / number of included classes.
 */
export function createTverskyLoss(options: TverskyOptions = {}): LossFn {
  const name = 'tversky';
  const { alpha, beta, smooth, includeBackground } = parseLossOptions(name, TverskyOptionsSchema, options);
  return (yTrue, yPred) => {
    checkShapes(name, yTrue, yPred);
    const classes = yTrue.shape[3];
    if (!includeBackground && classes < 2) throw new LossOptionError(`${name}: includeBackground false needs at least 2 classes, got ${classes}`);
    return tf.tidy(() => {
      const axes = [0, 1, 2];
      const tp = tf.sum(tf.mul(yPred, yTrue), axes);
      const fp = tf.sum(tf.mul(yPred, tf.sub(1, yTrue)), axes);
      const fn = tf.sum(tf.mul(tf.sub(1, yPred), yTrue), axes);
      const index = tf.div(tf.add(tp, smooth), tf.add(tf.add(tf.add(tp, tf.mul(fp, alpha)), tf.mul(fn, beta)), smooth));
      const mask = tf.tensor1d([...Array(classes).keys()].map((c) => (c === 0 && !includeBackground ? 0 : 1)));
      const included = includeBackground ? classes : classes - 1;
      const perClass = tf.div(tf.mul(tf.sub(1, index), mask), included) as tf.Tensor1D;
      return { loss: tf.sum(perClass) as tf.Scalar, perClass };
    });
  };
}
