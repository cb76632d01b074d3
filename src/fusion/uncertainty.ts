import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, FusionOptionError, parseOptions, type FusionControlsInput } from './controls.js';
import type { FusionStep } from './strategy.js';

export const UncertaintySchema = z.strictObject({
  initialLogVariance: z.number().default(0).describe('Initial log-variance s_i of every loss (default 0, i.e. weight 1).'),
  controls: FusionControlsSchema.optional().describe('Common controls: normalize, minWeight, maxWeight, warmupEpochs, smoothing (docs/loss-fusion.md).'),
});

/**
 * Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla 2018, "Multi-Task Learning Using
 * Uncertainty to Weigh Losses for Scene Geometry and Semantics"), in the log-variance form
 *
 *   L = Σ_i exp(-s_i) L_i + s_i
 *
 * with the s_i trained by the model's optimizer (they are in `variables`): a noisy loss raises its s_i,
 * lowering its weight exp(-s_i), while the + s_i term stops all weights collapsing to 0. Normalisation
 * and bounds are applied inside the graph, so the reported weights are exactly the ones trained with;
 * EMA smoothing cannot apply to learned weights and is refused.
 */
export class UncertaintyStrategy extends BaseStrategy {
  static override readonly capabilities = { gradientNorms: false, learnedWeights: true, classWeights: false };
  readonly logVariances: tf.Variable;

  constructor(lossNames: string[], options: { initialLogVariance?: number; controls?: FusionControlsInput } = {}) {
    const o = parseOptions('uncertainty', UncertaintySchema, options);
    const controls = FusionControlsSchema.parse(o.controls ?? {});
    if (controls.smoothing > 0) throw new FusionOptionError(`uncertainty: smoothing must be 0 (weights are learned by the optimizer), got ${controls.smoothing}`);
    super(
      'uncertainty',
      lossNames,
      controls,
      lossNames.map(() => Math.exp(-o.initialLogVariance)),
    );
    this.logVariances = tf.variable(tf.fill([lossNames.length], o.initialLogVariance), true, `fusion_uncertainty_logvar_${Math.random().toString(36).slice(2)}`);
  }

  get variables(): tf.Variable[] {
    return [this.logVariances];
  }

  /** exp(-s), normalised and bounded as the controls say, as a tensor (differentiable in s). */
  private weightTensor(): tf.Tensor1D {
    return tf.tidy(() => {
      let w = tf.exp(tf.neg(this.logVariances)) as tf.Tensor1D;
      if (this.controls.normalize) w = tf.div(tf.mul(w, this.lossNames.length), tf.sum(w));
      return tf.clipByValue(w, this.controls.minWeight, this.controls.maxWeight);
    });
  }

  /**
   * The fused, differentiable loss for a batch. During warm-up the weights are fixed at 1 and the
   * log-variances get no gradient.
   */
  fusedLoss(losses: tf.Scalar[], epoch: number): tf.Scalar {
    if (losses.length !== this.lossNames.length) throw new FusionOptionError(`uncertainty: got ${losses.length} losses for ${this.lossNames.length}`);
    return tf.tidy(() => {
      const stacked = tf.stack(losses);
      if (epoch < this.controls.warmupEpochs) return tf.sum(stacked) as tf.Scalar;
      return tf.add(tf.sum(tf.mul(this.weightTensor(), stacked)), tf.sum(this.logVariances)) as tf.Scalar;
    });
  }

  protected override get appliesOwnControls(): boolean {
    return true;
  }

  protected update(_step: FusionStep): number[] {
    const w = this.weightTensor();
    const values = [...w.dataSync()];
    w.dispose();
    return values;
  }

  protected override extraState(): unknown {
    return { logVariances: [...this.logVariances.dataSync()] };
  }

  protected override restoreExtra(extra: unknown): void {
    const s = (extra as { logVariances?: number[] } | null)?.logVariances;
    if (!s) return;
    const t = tf.tensor1d(s);
    this.logVariances.assign(t);
    t.dispose();
  }

  dispose(): void {
    this.logVariances.dispose();
  }
}
