import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkShapes, parseLossOptions, rangeNumber, type LossFn } from './types.js';

export const SensitivitySpecificityOptionsSchema = z.strictObject({
  r: rangeNumber(0, 1).default(0.05).describe("Weight r of the sensitivity term in [0, 1] (default 0.05, Brosch et al.'s choice for sparse lesions)."),
  smooth: rangeNumber(0, Infinity, { loOpen: true }).default(1e-5).describe('Added to both denominators, > 0 (default 1e-5): keeps a class absent from the batch finite.'),
});
export type SensitivitySpecificityOptions = z.input<typeof SensitivitySpecificityOptionsSchema>;

/**
 * Sensitivity-specificity loss (Brosch et al. 2015, "Deep Convolutional Encoder Networks for Multiple
 * Sclerosis Lesion Segmentation"), per class c with sums over batch, height and width:
 *
 *   SS_c = r Σ (g - p)² g / (Σ g + s) + (1 - r) Σ (g - p)² (1 - g) / (Σ (1 - g) + s),   L = mean_c SS_c
 *
 * Layout [batch, height, width, classes]; perClass[c] = SS_c / classes.
 */
export function createSensitivitySpecificityLoss(options: SensitivitySpecificityOptions = {}): LossFn {
  const name = 'sensitivitySpecificity';
  const { r, smooth } = parseLossOptions(name, SensitivitySpecificityOptionsSchema, options);
  return (yTrue, yPred) => {
    checkShapes(name, yTrue, yPred);
    return tf.tidy(() => {
      const axes = [0, 1, 2];
      const sq = tf.square(tf.sub(yTrue, yPred));
      const background = tf.sub(1, yTrue);
      const sensitivity = tf.div(tf.sum(tf.mul(sq, yTrue), axes), tf.add(tf.sum(yTrue, axes), smooth));
      const specificity = tf.div(tf.sum(tf.mul(sq, background), axes), tf.add(tf.sum(background, axes), smooth));
      const perClass = tf.div(tf.add(tf.mul(sensitivity, r), tf.mul(specificity, 1 - r)), yTrue.shape[3]) as tf.Tensor1D;
      return { loss: tf.sum(perClass) as tf.Scalar, perClass };
    });
  };
}
