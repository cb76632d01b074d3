import type * as tf from '@tensorflow/tfjs';

/** Batch statistics that batch-adaptive weighting reads; computed by the trainer from yTrue and yPred. */
export interface BatchStats {
  /** Share of non-background voxels in the batch's ground truth, in [0, 1]. */
  foregroundFraction: number;
  /** Per class: whether the class occurs in the batch's ground truth. */
  classPresent: boolean[];
  /** Per class: TP / (TP + FN) of the thresholded prediction in this batch; null when the class is absent. */
  sensitivity: (number | null)[];
  /** Per class: TN / (TN + FP); null when every voxel is the class. */
  specificity: (number | null)[];
  /** Per class: voxel counts behind the ratios (true positives, ground truth, predicted), for running estimates. */
  counts: { truePositives: number[]; groundTruth: number[]; predicted: number[] };
}

/** What a strategy sees each batch. */
export interface FusionStep {
  epoch: number;
  /** Global batch counter, from 0. */
  step: number;
  /** Value of each loss term on this batch, in the order the strategy was built with. */
  losses: number[];
  batch?: BatchStats;
  /** GradNorm only: ‖∇_W L_i‖ of each unweighted loss at the last shared layer W. */
  gradientNorms?: number[];
}

/** What a strategy needs from, or gives to, the training step (trainStep asks these, not the strategy's type). */
export interface StrategyCapabilities {
  /** Needs ‖∇_W L_i‖ of each loss at the last shared layer every batch (one extra backward pass per loss). */
  gradientNorms: boolean;
  /** Its weights are trainable variables, trained with the model through fusedLoss(). */
  learnedWeights: boolean;
  /**
   * Weights (loss, class) pairs: after weights(), classWeights() gives a factor m_ic per loss i and class
   * c, and the step minimises Σ_i w_i Σ_c m_ic L_ic over the losses' per-class terms (Σ_c L_ic = L_i).
   */
  classWeights: boolean;
}

/** One batch's weights as a strategy records them: per loss, and per (loss, class) where it weights classes. */
export interface WeightRecord {
  step: number;
  epoch: number;
  weights: number[];
  /** [loss][class] factors m_ic; absent for strategies that weight whole losses. */
  classWeights?: number[][];
}

/**
 * A loss-fusion strategy: L = Σ_i w_i(t) L_i. `weights(step)` returns the weights to use for this batch
 * and records them; `history` exposes every batch's weights for plotting.
 */
export interface FusionStrategy {
  readonly name: string;
  readonly lossNames: readonly string[];
  readonly capabilities: StrategyCapabilities;
  /** learnedWeights only: the variables the optimizer trains with the model, and the fused loss over them. */
  readonly variables?: tf.Variable[];
  fusedLoss?(losses: tf.Scalar[], epoch: number): tf.Scalar;
  weights(step: FusionStep): number[];
  /** classWeights only: the [loss][class] factors of the batch weights() was last called for. */
  classWeights?(): number[][];
  readonly history: readonly WeightRecord[];
  /** Serializable state, so a resumed run continues with the same weights. */
  state(): unknown;
  restore(state: unknown): void;
}
