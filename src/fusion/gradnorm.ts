import { z } from 'zod';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, FusionOptionError, parseOptions, type FusionControlsInput } from './controls.js';
import type { FusionStep } from './strategy.js';

export const GradNormSchema = z.strictObject({
  alpha: z.number().min(0).default(1.5).describe('Restoring force α >= 0 (default 1.5; the paper uses 0.12 to 3): larger pulls slow losses harder.'),
  learningRate: z.number().positive().default(0.025).describe("Step size of the weights' own gradient-descent update, > 0 (default 0.025, the paper's task-weight rate)."),
  controls: FusionControlsSchema.optional().describe('Common controls: normalize, minWeight, maxWeight, warmupEpochs, smoothing (docs/loss-fusion.md).'),
});

/**
 * GradNorm (Chen et al. 2018, "GradNorm: Gradient Normalization for Adaptive Loss Balancing"). With
 * g_i = ‖∇_W L_i‖ at the last shared layer W (supplied by the trainer each batch):
 *
 *   G_i = w_i g_i,  Ḡ = mean_i G_i,  L̃_i = L_i(t) / L_i(0),  r_i = L̃_i / mean_j L̃_j
 *   L_grad = Σ_i |G_i - Ḡ r_i^α|     (targets held constant)
 *   w_i ← w_i - η sign(G_i - Ḡ r_i^α) g_i,  then renormalised to Σ w = K
 *
 * i.e. one gradient-descent step on L_grad per batch, separate from the model's optimizer.
 */
export class GradNormStrategy extends BaseStrategy {
  static override readonly capabilities = { gradientNorms: true, learnedWeights: false, classWeights: false };
  private readonly alpha: number;
  private readonly learningRate: number;
  private initialLosses: number[] | null = null;
  private w: number[];

  constructor(lossNames: string[], options: { alpha?: number; learningRate?: number; controls?: FusionControlsInput } = {}) {
    const o = parseOptions('gradnorm', GradNormSchema, options);
    super(
      'gradnorm',
      lossNames,
      FusionControlsSchema.parse(o.controls ?? {}),
      lossNames.map(() => 1),
    );
    this.alpha = o.alpha;
    this.learningRate = o.learningRate;
    this.w = lossNames.map(() => 1);
  }

  protected update(step: FusionStep): number[] {
    const g = step.gradientNorms;
    if (!g || g.length !== this.lossNames.length) {
      throw new FusionOptionError(`gradnorm: needs gradientNorms for ${this.lossNames.length} losses each batch, got ${g ? g.length : 'none'}`);
    }
    const k = this.lossNames.length;
    this.initialLosses ??= step.losses.map((l) => Math.max(l, 1e-12));
    // Weights start moving after the warm-up; L_i(0) is the first batch's loss.
    if (step.epoch < this.controls.warmupEpochs) return [...this.w];
    const G = this.w.map((w, i) => w * g[i]);
    const meanG = G.reduce((a, b) => a + b, 0) / k;
    const ratios = step.losses.map((l, i) => l / this.initialLosses![i]);
    const meanRatio = ratios.reduce((a, b) => a + b, 0) / k;
    const targets = ratios.map((r) => meanG * (r / meanRatio) ** this.alpha);
    const updated = this.w.map((w, i) => Math.max(1e-6, w - this.learningRate * Math.sign(G[i] - targets[i]) * g[i]));
    const sum = updated.reduce((a, b) => a + b, 0);
    this.w = updated.map((w) => (w * k) / sum);
    return [...this.w];
  }

  protected override extraState(): unknown {
    return { initialLosses: this.initialLosses, w: this.w };
  }

  protected override restoreExtra(extra: unknown): void {
    const e = extra as { initialLosses: number[] | null; w: number[] };
    this.initialLosses = e?.initialLosses ?? null;
    if (Array.isArray(e?.w)) this.w = [...e.w];
  }
}
