import * as tf from '@tensorflow/tfjs';
import type { BatchStats } from '../fusion/strategy.js';

/**
 * Foreground fraction, class presence and per-class sensitivity/specificity of the arg-max prediction
 * for one batch ([batch, height, width, classes] one-hot truth and probabilities): the signals the
 * batch-adaptive strategy reads. One small download of per-class counts.
 */
export function batchStats(yTrue: tf.Tensor4D, yPred: tf.Tensor4D): BatchStats {
  const classes = yTrue.shape[3];
  const counts = tf.tidy(() => {
    const predicted = tf.cast(tf.oneHot(tf.argMax(yPred, -1), classes), 'float32');
    const truth = tf.cast(yTrue, 'float32');
    const tp = tf.sum(tf.mul(truth, predicted), [0, 1, 2]);
    const gt = tf.sum(truth, [0, 1, 2]);
    const pred = tf.sum(predicted, [0, 1, 2]);
    return tf.stack([tp, gt, pred]);
  });
  const v = counts.dataSync();
  counts.dispose();
  const total = yTrue.shape[0] * yTrue.shape[1] * yTrue.shape[2];
  const tp = [...v.slice(0, classes)];
  const gt = [...v.slice(classes, 2 * classes)];
  const pred = [...v.slice(2 * classes, 3 * classes)];
  return {
    foregroundFraction: (total - gt[0]) / total,
    classPresent: gt.map((g) => g > 0),
    sensitivity: gt.map((g, c) => (g > 0 ? tp[c] / g : null)),
    specificity: gt.map((g, c) => {
      const negatives = total - g;
      return negatives > 0 ? (negatives - (pred[c] - tp[c])) / negatives : null;
    }),
    counts: { truePositives: tp, groundTruth: gt, predicted: pred },
  };
}
