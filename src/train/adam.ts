import * as tf from '@tensorflow/tfjs';
import { NATIVE_ADAM, nativeKernelsActive } from '../backend/nativeKernels.js';

/** What the fused step reads and writes of tfjs's AdamOptimizer (protected there). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/**
 * tfjs's Adam (Kingma & Ba 2015), with each variable's step as one native kernel on wasm-native:
 *
 *   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,  θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 *
 * tfjs runs this as twelve elementwise kernels per variable (about 800 for the default U-Net, 5-10 % of
 * a training step); the kernel does the same float32 operations in the same order, so the weights and
 * moments are bit for bit tfjs's (test/train/adam.test.ts). Elsewhere, and for gradients that are not
 * float32, it is tfjs's own step. Moments, their names, getWeights/setWeights (checkpoints) and the
 * class name ('Adam') are tfjs's, so checkpoints of either load in the other.
 */
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    if (!nativeKernelsActive(tf.getBackend()) || list.some((g) => g.tensor && g.tensor.dtype !== 'float32')) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamState;
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, s.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, s.accBeta2);
      // [b1, 1 − b1, b2, 1 − b2, 1 − b1^t, 1 − b2^t, ε, −lr], rounded to float32 as tfjs's scalars are.
      const scalars = tf.concat([tf.tensor1d([s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2]), oneMinusAccBeta1.reshape([1]), oneMinusAccBeta2.reshape([1]), tf.tensor1d([s.epsilon, -s.learningRate])]);
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name];
        // Moments are created as tfjs creates them (same index, name and zeros), gradient or not.
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const m = s.accumulatedFirstMoment[i].variable;
        const v = s.accumulatedSecondMoment[i].variable;
        const [newValue, newM, newV] = tf.engine().runKernel(NATIVE_ADAM, { value, m, v, grad: gradient, scalars }) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  }
}

/** Adam with tfjs's defaults (β1 0.9, β2 0.999, ε from the backend), fused on wasm-native. */
export function createAdam(learningRate: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, 0.9, 0.999);
}
