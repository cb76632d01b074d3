import { z } from 'zod';

/** Controls shared by every fusion strategy; validated when a strategy is built. */
export const FusionControlsSchema = z
  .strictObject({
    normalize: z.boolean().default(true).describe('Rescale weights so they sum to the number of losses (default true), as GradNorm does.'),
    minWeight: z.number().min(0).default(0.05).describe('Lower bound of each weight after normalisation (default 0.05): no loss vanishes.'),
    maxWeight: z.number().positive().default(10).describe('Upper bound of each weight after normalisation (default 10): no loss dominates.'),
    warmupEpochs: z.number().int().min(0).default(0).describe('Epochs during which the initial weights are used unchanged (default 0).'),
    smoothing: z.number().min(0).lt(1).default(0).describe('EMA factor β in [0, 1): w ← β w_prev + (1 - β) w_new (default 0: no smoothing).'),
  })
  .refine((c) => c.minWeight <= c.maxWeight, { message: 'minWeight must not exceed maxWeight', path: ['minWeight'] });
export type FusionControls = z.infer<typeof FusionControlsSchema>;
export type FusionControlsInput = z.input<typeof FusionControlsSchema>;

export class FusionOptionError extends RangeError {
  override name = 'FusionOptionError';
}

/** zod parse with the strategy name and every failing field in the message. */
export function parseOptions<T extends z.ZodType>(strategy: string, schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    throw new FusionOptionError(`${strategy}: ${r.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

/**
 * Applies the common controls to raw weights, in this order: normalise to sum n, clip to the bounds,
 * then EMA against the previous weights. Clipping after normalising keeps any single loss from
 * vanishing or dominating; the EMA damps batch-to-batch jitter.
 */
export function applyControls(raw: number[], previous: number[] | null, c: FusionControls): number[] {
  const n = raw.length;
  let w = raw.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const sum = w.reduce((a, b) => a + b, 0);
  if (c.normalize) w = sum > 0 ? w.map((v) => (v * n) / sum) : w.map(() => 1);
  w = w.map((v) => Math.min(c.maxWeight, Math.max(c.minWeight, v)));
  if (previous && c.smoothing > 0) w = w.map((v, i) => c.smoothing * previous[i] + (1 - c.smoothing) * v);
  return w;
}
