import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive, NATIVE_BATCH_NORM, NATIVE_BATCH_NORM_GRAD } from '../backend/nativeKernels.js';

export interface BatchNormTrainingResult {
  /** γ (x − μ) / √(σ² + ε) + β, shaped like x. */
  y: tf.Tensor;
  /** Per-channel batch mean μ [C]. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance σ² [C], as tfjs-layers and Keras feed their moving variance. */
  variance: tf.Tensor1D;
}

/**
 * Per-channel mean over every axis but the last, as an average pooling of x seen as one M×1 image with
 * an M×1 window: one threaded, vectorised read on every backend (XNNPACK on wasm), where a Sum or Mean
 * over outer axes transposes the whole tensor first on wasm and a product with ones repacks it.
 */
function channelMean(x: tf.Tensor, m: number, c: number): tf.Tensor1D {
  return tf.reshape(tf.avgPool(tf.reshape(x, [1, m, 1, c]) as tf.Tensor4D, [m, 1], [m, 1], 'valid'), [c]);
}

/**
 * Training-mode batch normalisation over every axis but the last (channels-last), differentiated as one
 * operation (Ioffe & Szegedy 2015). With means ⟨·⟩ over the n elements of each channel:
 *
 *   μ = ⟨x⟩,  σ² = ⟨(x − μ)²⟩,  r = 1/√(σ² + ε),  y = γ r (x − μ) + β,
 *   ∂β = n ⟨dy⟩,  ∂γ = n r ⟨dy (x − μ)⟩,
 *   ∂x = γ r (dy − ⟨dy⟩ − (x − μ) r² ⟨dy (x − μ)⟩).
 *
 * tfjs-layers builds the same function from moments() and FusedBatchNorm, whose autodiff chains a
 * dozen full-size elementwise ops and outer-axis reductions per layer (each a transpose on wasm); here
 * the forward pass is four elementwise passes and two channelMean reads, the backward pass five and
 * two, with x − μ kept from the forward pass. μ and σ² are returned for the moving averages and carry
 * no gradient: tfjs-layers' path differentiates only through y as well.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const c = x.shape[x.rank - 1];
  if (gamma.size !== c || beta.size !== c) {
    throw new RangeError(`batchNormTraining: gamma [${gamma.shape}] and beta [${beta.shape}] must have ${c} entries, one per channel of x [${x.shape}]`);
  }
  if (!(epsilon > 0)) throw new RangeError(`batchNormTraining: epsilon must be > 0, got ${epsilon}`);
  if (nativeKernelsActive(tf.getBackend())) return nativeBatchNormTraining(x, gamma, beta, epsilon);
  const m = x.size / c;
  const [mean, centred, variance] = tf.tidy(() => {
    const mu = channelMean(x, m, c);
    const xc = tf.sub(x, mu);
    return [mu, xc, channelMean(tf.square(xc), m, c)] as [tf.Tensor1D, tf.Tensor, tf.Tensor1D];
  });
  // customGrad passes the inputs and then save() as one variadic list.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const r = tf.rsqrt(tf.add(variance, epsilon));
    const gr = tf.mul(g, r);
    save([centred, r, gr]);
    return {
      value: tf.add(tf.mul(centred, gr), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xc, sr, sgr] = saved;
        const d = dy as tf.Tensor;
        const meanDy = channelMean(d, m, c);
        const meanDyCentred = channelMean(tf.mul(d, xc), m, c);
        const coefX = tf.neg(tf.mul(tf.mul(sgr, tf.square(sr)), meanDyCentred));
        const dx = tf.add(tf.add(tf.mul(d, sgr), tf.mul(xc, coefX)), tf.neg(tf.mul(sgr, meanDy)));
        return [dx, tf.mul(tf.mul(sr, meanDyCentred), m), tf.mul(meanDy, m)];
      },
    };
  });
  const y = op(x, gamma, beta);
  centred.dispose();
  return { y, mean, variance };
}

/**
 * The same function on the wasm-native backend: oneDNN's batch normalisation, one pass forward (y, μ,
 * σ²) and one backward (∂x, ∂γ, ∂β with the same formulas), instead of the elementwise chain above.
 */
function nativeBatchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const [y0, mean, variance] = tf.engine().runKernel(NATIVE_BATCH_NORM, { x, gamma, beta }, { epsilon }) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    save([xi, g, b, mean, variance]);
    return {
      // A clone shares y0's buffer (the wasm Identity kernel counts references).
      value: tf.clone(y0),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sv] = saved;
        return tf.engine().runKernel(NATIVE_BATCH_NORM_GRAD, { x: sx, dy: dy as tf.Tensor, mean: sm, variance: sv, gamma: sg, beta: sb }, { epsilon }) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  y0.dispose();
  return { y, mean, variance };
}
