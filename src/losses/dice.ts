import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkShapes, LossOptionError, parseLossOptions, rangeNumber, type LossFn } from './types.js';

export const DiceOptionsSchema = z.strictObject({
  includeBackground: z.boolean().default(false).describe('Include class 0 in the mean (default false: background Dice is near 1 and dilutes the signal).'),
  smoothNumerator: rangeNumber(0, Infinity).default(1e-5).describe('Added to the numerator, >= 0 (default 1e-5).'),
  smoothDenominator: rangeNumber(0, Infinity).default(1e-5).describe('Added to the denominator, >= 0 (default 1e-5). Equal smoothing makes an empty class with an empty prediction score 1.'),
  reduction: z
    .enum(['batch', 'sample'], { error: (iss) => `must be 'batch' or 'sample', got ${String(iss.input)}` })
    .default('batch')
    .describe("'batch': sums over the whole batch (default, stable for rare classes); 'sample': Dice per sample, then the mean."),
});
export type DiceOptions = z.input<typeof DiceOptionsSchema>;

/**
 * Soft Dice loss (Milletari et al. 2016, V-Net; per-class form as in MONAI's DiceLoss):
 *
 *   D_c = (2 Σ p_c g_c + s_n) / (Σ p_c + Σ g_c + s_d),    L = 1 - mean_c D_c
 *
 * over the included classes c, sums over height and width and (reduction 'batch') the batch.
 * Layout [batch, height, width, classes]. perClass[c] = (1 - D_c) / number of included classes.
 */
export function createDiceLoss(options: DiceOptions = {}): LossFn {
  const name = 'dice';
  const { includeBackground, smoothNumerator: sn, smoothDenominator: sd, reduction } = parseLossOptions(name, DiceOptionsSchema, options);
  return (yTrue, yPred) => {
    checkShapes(name, yTrue, yPred);
    const classes = yTrue.shape[3];
    if (!includeBackground && classes < 2) throw new LossOptionError(`${name}: includeBackground false needs at least 2 classes, got ${classes}`);
    return tf.tidy(() => {
      const axes = reduction === 'batch' ? [0, 1, 2] : [1, 2];
      const intersection = tf.sum(tf.mul(yTrue, yPred), axes);
      const denominator = tf.add(tf.sum(yTrue, axes), tf.sum(yPred, axes));
      let dice = tf.div(tf.add(tf.mul(intersection, 2), sn), tf.add(denominator, sd));
      if (reduction === 'sample') dice = tf.mean(dice, 0);
      const mask = tf.tensor1d([...Array(classes).keys()].map((c) => (c === 0 && !includeBackground ? 0 : 1)));
      const included = includeBackground ? classes : classes - 1;
      const perClass = tf.div(tf.mul(tf.sub(1, dice), mask), included) as tf.Tensor1D;
      return { loss: tf.sum(perClass) as tf.Scalar, perClass };
    });
  };
}
