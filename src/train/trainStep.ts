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
}

/**
 * One optimisation step: forward pass, every loss term, the strategy's weights for this batch (read
 * from the batch's own statistics and term values inside the same forward pass), then one optimizer
 * step on Σ w_i L_i with the weights held constant. GradNorm additionally needs each term's gradient
 * norm at the shared head, which costs one extra forward/backward pass per term. Leaves no tensors behind.
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
  let termValues: number[] = [];
  let weights: number[] = [];
  const fused = optimizer.minimize(
    () => {
      const yPred = net.model.apply(x, { training: true }) as tf.Tensor4D;
      const terms = losses.map((l) => {
        const r = l.fn(yTrue, yPred);
        r.perClass.dispose();
        return r.loss;
      });
      termValues = terms.map((t) => t.dataSync()[0]);
      weights = strategy.weights({ epoch, step, losses: termValues, batch: batchStats(yTrue, yPred), gradientNorms });
      if (learned && strategy.fusedLoss) return strategy.fusedLoss(terms, epoch);
      return tf.addN(terms.map((t, i) => tf.mul(t, weights[i]))) as tf.Scalar;
    },
    true,
    varList,
  );
  const loss = fused!.dataSync()[0];
  fused!.dispose();
  return { loss, terms: termValues, weights };
}
