import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

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

/** Probabilities are clipped away from 0 and 1 before logs: log(0) would make the loss and its gradient infinite. */
export const EPSILON = 1e-7;

/**
 * A number in [lo, hi] ((lo, hi] with loOpen) for a loss's options schema, whose error reads like
 * every range error of the losses: "must be in [0, 1], got 2". The bounds stay in the schema, so its JSON Schema (the
 * dashboard's help) shows them.
 */
export function rangeNumber(lo: number, hi: number, o: { loOpen?: boolean } = {}) {
  const error = (iss: { input?: unknown }) => `must be in ${o.loOpen ? '(' : '['}${lo}, ${hi}], got ${String(iss.input)}`;
  const base = z.number({ error });
  const low = o.loOpen ? base.gt(lo, { error }) : base.min(lo, { error });
  return Number.isFinite(hi) ? low.max(hi, { error }) : low;
}

/** "alpha[1]" for the path ["alpha", 1]. */
const formatPath = (path: PropertyKey[]): string => path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/** Parses a loss's options with its schema (defaults filled in); a wrong one throws LossOptionError naming it. */
export function parseLossOptions<T extends z.ZodType>(name: string, schema: T, options: unknown): z.output<T> {
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new LossOptionError(i.path.length ? `${name}: ${formatPath(i.path)} ${i.message}` : `${name}: ${i.message}`);
  }
  return r.data;
}
