import { z } from 'zod';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, parseOptions, type FusionControlsInput } from './controls.js';
import type { FusionStep } from './strategy.js';

export const DwaSchema = z.strictObject({
  temperature: z.number().positive().default(2).describe('Temperature T > 0 (default 2, as in the paper): larger T gives more uniform weights.'),
  lossSmoothing: z.number().min(0).lt(1).default(0.9).describe('EMA factor in [0, 1) for the per-batch loss history the ratios are taken from (default 0.9): single batches are too noisy.'),
  controls: FusionControlsSchema.optional().describe('Common controls: normalize, minWeight, maxWeight, warmupEpochs, smoothing (docs/loss-fusion.md).'),
});

/**
 * Dynamic Weight Average (Liu et al. 2019, "End-to-End Multi-Task Learning with Attention"):
 *
 *   r_i = L̄_i(t-1) / L̄_i(t-2),    w_i(t) = K exp(r_i / T) / Σ_j exp(r_j / T),   K = number of losses
 *
 * The paper uses epoch means; SegFusion updates every batch from an EMA of each loss (L̄), so a loss
 * that stops falling gains weight within the epoch. Equal weights until two smoothed values exist.
 */
export class DwaStrategy extends BaseStrategy {
  private readonly temperature: number;
  private readonly lossSmoothing: number;
  private ema: number[] | null = null;

  constructor(lossNames: string[], options: { temperature?: number; lossSmoothing?: number; controls?: FusionControlsInput } = {}) {
    const o = parseOptions('dwa', DwaSchema, options);
    super(
      'dwa',
      lossNames,
      FusionControlsSchema.parse(o.controls ?? {}),
      lossNames.map(() => 1),
    );
    this.temperature = o.temperature;
    this.lossSmoothing = o.lossSmoothing;
  }

  protected update(step: FusionStep): number[] {
    const k = this.lossNames.length;
    const before = this.ema;
    this.ema = before ? before.map((e, i) => this.lossSmoothing * e + (1 - this.lossSmoothing) * step.losses[i]) : [...step.losses];
    if (!before) return this.lossNames.map(() => 1);
    const ratios = this.ema.map((e, i) => e / Math.max(before[i], 1e-12));
    const exps = ratios.map((r) => Math.exp(r / this.temperature));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => (k * e) / sum);
  }

  protected override extraState(): unknown {
    return { ema: this.ema };
  }

  protected override restoreExtra(extra: unknown): void {
    this.ema = (extra as { ema: number[] | null } | null)?.ema ?? null;
  }
}
