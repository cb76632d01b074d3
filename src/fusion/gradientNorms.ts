import * as tf from '@tensorflow/tfjs';

/**
 * ‖∇_W L_i‖₂ of each (unweighted) loss with respect to the shared variable W, the quantity GradNorm
 * balances. Each loss closure is evaluated under its own gradient tape; nothing is left allocated.
 */
export function lossGradientNorms(losses: (() => tf.Scalar)[], shared: tf.Variable): number[] {
  return losses.map((loss) => {
    const { value, grads } = tf.variableGrads(loss, [shared]);
    const g = grads[shared.name];
    const norm = tf.tidy(() => tf.sqrt(tf.sum(tf.square(g))).dataSync()[0]);
    value.dispose();
    for (const t of Object.values(grads)) t.dispose();
    return norm;
  });
}
