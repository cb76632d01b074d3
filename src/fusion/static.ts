import { z } from 'zod';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, parseOptions, type FusionControlsInput } from './controls.js';
import type { FusionStep } from './strategy.js';

export const StaticSchema = z.strictObject({
  weights: z.array(z.number().nonnegative()).optional().describe('Fixed weight of each loss, >= 0 (default 1 each).'),
  controls: FusionControlsSchema.optional().describe('Common controls: normalize, minWeight, maxWeight, warmupEpochs, smoothing (docs/loss-fusion.md).'),
});

/** Fixed weights w_i (default 1 each), through the common controls. The baseline every other strategy is compared with. */
export class StaticStrategy extends BaseStrategy {
  constructor(lossNames: string[], options: { weights?: number[]; controls?: FusionControlsInput } = {}) {
    const o = parseOptions('static', StaticSchema, options);
    super('static', lossNames, FusionControlsSchema.parse(o.controls ?? {}), o.weights ?? lossNames.map(() => 1));
  }

  protected update(_step: FusionStep): number[] {
    return [...this.initial];
  }
}
