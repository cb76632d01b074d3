import * as tf from '@tensorflow/tfjs';
import { FusedBatchNorm, type FusedBatchNormAttrs, type GradConfig } from '@tensorflow/tfjs-core';

/**
 * Gradient of FusedBatchNorm (y = (x − μ) · rsqrt(σ² + ε) · γ + β) with per-channel parameters by
 * broadcasting instead of tfjs's stock Tile of rsqrt(σ² + ε) to the full input shape, and with the
 * full-size work cut to two reductions, Σ dy and Σ dy (x − μ), shared by all five derivatives:
 *
 *   ∂x = dy · γ r,  ∂μ = −γ r Σ dy,  ∂σ² = −½ γ r³ Σ dy (x − μ),  ∂γ = r Σ dy (x − μ),  ∂β = Σ dy
 *
 * with r = rsqrt(σ² + ε) and sums over every axis but the channel axis.
 */
export const fusedBatchNormGradient: GradConfig = {
  kernelName: FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved;
    const g = dy as tf.Tensor;
    const perChannel = mean.rank === 1;
    const axes = perChannel ? [...Array(x.rank - 1).keys()] : [];
    const gamma = scale ?? tf.scalar(1);
    const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const centred = tf.sub(x, mean);
    const reduce = (t: tf.Tensor) => (perChannel ? tf.sum(t, axes) : t);
    const sumDy = () => reduce(g);
    const sumDyCentred = () => reduce(tf.mul(g, centred));
    return {
      x: () => tf.mul(g, tf.mul(gamma, r)),
      mean: () => tf.reshape(tf.mul(tf.neg(tf.mul(gamma, r)), sumDy()), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(gamma, tf.pow(r, 3)), -0.5), sumDyCentred()), mean.shape),
      scale: () => tf.reshape(tf.mul(r, sumDyCentred()), mean.shape),
      offset: () => tf.reshape(sumDy(), mean.shape),
    };
  },
};

let registered = false;

/** Replaces tfjs's FusedBatchNorm gradient (for every backend: the maths is the same). Idempotent. */
export function registerBatchNormGradient(): void {
  if (registered) return;
  // tfjs warns when a gradient is overridden; this override is deliberate, so that one message is muted.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes(`Overriding the gradient for '${FusedBatchNorm}'`)) return;
    warn(...args);
  };
  try {
    tf.registerGradient(fusedBatchNormGradient);
  } finally {
    console.warn = warn;
  }
  registered = true;
}
