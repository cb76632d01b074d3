import * as tf from '@tensorflow/tfjs-core';

/**
 * Every loss takes yTrue (one-hot) and yPred (probabilities, e.g. softmax output), both laid out
 * [batch, height, width, classes] (channels last, as tfjs layers), and returns the scalar loss with
 * its per-class terms, so fusion strategies and dashboards can weigh and plot classes separately.
 */
export interface LossResult {
  loss: tf.Scalar;
  /** [classes]: each class's contribution (classes left out by an option are 0). */
  perClass: tf.Tensor1D;
}

export type LossFn = (yTrue: tf.Tensor4D, yPred: tf.Tensor4D) => LossResult;

/** An option outside its documented range; the message names the option and the value. */
export class LossOptionError extends RangeError {
  override name = 'LossOptionError';
}

/** yTrue and yPred of different shapes, or not rank 4; the message carries both shapes. */
export class LossShapeError extends Error {
  override name = 'LossShapeError';
}

export function checkShapes(name: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (yTrue.rank !== 4 || yPred.rank !== 4 || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new LossShapeError(`${name}: yTrue ${JSON.stringify(yTrue.shape)} and yPred ${JSON.stringify(yPred.shape)} must both be [batch, height, width, classes]`);
  }
}

export function checkRange(name: string, option: string, value: number, lo: number, hi: number, { loOpen = false } = {}): void {
  if (!Number.isFinite(value) || (loOpen ? value <= lo : value < lo) || value > hi) {
    throw new LossOptionError(`${name}: ${option} must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${value}`);
  }
}

/** Probabilities are clipped away from 0 and 1 before logs: log(0) would make the loss and its gradient infinite. */
export const EPSILON = 1e-7;
