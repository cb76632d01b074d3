import * as tf from '@tensorflow/tfjs';
import { lossGradientNorms } from '../fusion/gradientNorms.js';
import type { FusionStrategy } from '../fusion/strategy.js';
import type { LossFn } from '../losses/types.js';
import type { UNet } from '../model/unet.js';
import { batchStats } from './batchStats.js';

export interface NamedLoss {
  name: string;
  fn: LossFn;
}

export interface StepResult {
  /** The fused loss that was minimised. */
  loss: number;
  /** Each term's value, in the order of the losses. */
  terms: number[];
  weights: number[];
  /** [loss][class] factors, for strategies that weight (loss, class) pairs. */
  classWeights?: number[][];
  /** Per class: sensitivity of this batch's arg-max prediction (null where the class is absent). */
  sensitivity: (number | null)[];
}

/**
 * One optimisation step: forward pass, every loss term, the strategy's weights for this batch (read
 * from the batch's own statistics and term values inside the same forward pass), then one optimizer
 * step on Σ w_i L_i with the weights held constant; a strategy that weights classes gets
 * Σ_i w_i Σ_c m_ic L_ic over the terms' per-class parts instead. GradNorm additionally needs each term's
 * gradient norm at the shared head, which costs one extra forward/backward pass per term. Leaves no
 * tensors behind.
 */
export function trainStep(net: UNet, losses: NamedLoss[], strategy: FusionStrategy, optimizer: tf.Optimizer, x: tf.Tensor4D, yTrue: tf.Tensor4D, epoch: number, step: number): StepResult {
  let gradientNorms: number[] | undefined;
  if (strategy.capabilities.gradientNorms) {
    const kernel = net.head.trainableWeights[0].read() as tf.Variable;
    gradientNorms = lossGradientNorms(
      losses.map((l) => () => {
        const r = l.fn(yTrue, net.model.apply(x, { training: true }) as tf.Tensor4D);
        r.perClass.dispose();
        return r.loss;
      }),
      kernel,
    );
  }
  const learned = strategy.capabilities.learnedWeights;
  const varList = [...net.model.trainableWeights.map((w) => w.read() as tf.Variable), ...(learned ? (strategy.variables ?? []) : [])];
  const perClass = strategy.capabilities.classWeights;
  let termValues: number[] = [];
  let weights: number[] = [];
  let classWeights: number[][] | undefined;
  let sensitivity: (number | null)[] = [];
  const fused = optimizer.minimize(
    () => {
      const yPred = net.model.apply(x, { training: true }) as tf.Tensor4D;
      const results = losses.map((l) => l.fn(yTrue, yPred));
      const terms = results.map((r) => r.loss);
      if (!perClass) results.forEach((r) => r.perClass.dispose());
      termValues = terms.map((t) => t.dataSync()[0]);
      const batch = batchStats(yTrue, yPred);
      sensitivity = batch.sensitivity;
      weights = strategy.weights({ epoch, step, losses: termValues, batch, gradientNorms });
      if (learned && strategy.fusedLoss) return strategy.fusedLoss(terms, epoch);
      if (perClass && strategy.classWeights) {
        const m = strategy.classWeights();
        classWeights = m;
        return tf.addN(results.map((r, i) => tf.mul(tf.sum(tf.mul(r.perClass, tf.tensor1d(m[i]))), weights[i]))) as tf.Scalar;
      }
      return tf.addN(terms.map((t, i) => tf.mul(t, weights[i]))) as tf.Scalar;
    },
    true,
    varList,
  );
  const loss = fused!.dataSync()[0];
  fused!.dispose();
  return { loss, terms: termValues, weights, ...(classWeights ? { classWeights } : {}), sensitivity };
}
