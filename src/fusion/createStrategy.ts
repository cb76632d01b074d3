import { z } from 'zod';
import { BatchAdaptiveStrategy, type BatchAdaptiveOptions } from './batchAdaptive.js';
import { parseOptions } from './controls.js';
import { DwaStrategy } from './dwa.js';
import { GradNormStrategy } from './gradnorm.js';
import { StaticStrategy } from './static.js';
import type { FusionStrategy } from './strategy.js';
import { UncertaintyStrategy } from './uncertainty.js';

/** Fusion section of a run config: the strategy's name and its options (each strategy validates its own). */
export const FusionConfigSchema = z.strictObject({
  strategy: z.enum(['static', 'uncertainty', 'dwa', 'gradnorm', 'batchAdaptive']),
  options: z.record(z.string(), z.unknown()).default({}),
});
export type FusionConfig = z.input<typeof FusionConfigSchema>;

export function createFusionStrategy(lossNames: string[], config: FusionConfig): FusionStrategy {
  const c = parseOptions('fusion', FusionConfigSchema, config);
  switch (c.strategy) {
    case 'static':
      return new StaticStrategy(lossNames, c.options);
    case 'uncertainty':
      return new UncertaintyStrategy(lossNames, c.options);
    case 'dwa':
      return new DwaStrategy(lossNames, c.options);
    case 'gradnorm':
      return new GradNormStrategy(lossNames, c.options);
    case 'batchAdaptive':
      return new BatchAdaptiveStrategy(lossNames, c.options as BatchAdaptiveOptions);
  }
}
