import { z } from 'zod';
import { checkPluginOptions } from '../util/pluginOptions.js';
import { BatchAdaptiveSchema, BatchAdaptiveStrategy } from './batchAdaptive.js';
import { FusionOptionError, parseOptions } from './controls.js';
import { DwaSchema, DwaStrategy } from './dwa.js';
import { GradNormSchema, GradNormStrategy } from './gradnorm.js';
import { StaticSchema, StaticStrategy } from './static.js';
import type { FusionStrategy, StrategyCapabilities } from './strategy.js';
import { UncertaintySchema, UncertaintyStrategy } from './uncertainty.js';

/** One fusion strategy: its options (defaults and ranges), capabilities, factory and one line of help. */
export interface StrategyPlugin {
  options: z.ZodType;
  capabilities: StrategyCapabilities;
  create: (lossNames: string[], options: never) => FusionStrategy;
  /** Checks of the options against the run's losses (lengths, names), as [field path, message]. */
  check?: (options: Record<string, unknown>, lossNames: string[]) => [string[], string][];
  help: string;
  /** The document and section that explain it, e.g. "loss-fusion#strategies-srcfusion" (served at /docs/...). */
  docs: string;
}

/** The section of docs/loss-fusion.md on the published strategies. */
const STRATEGY_DOCS = 'loss-fusion#strategies-srcfusion';

/** An option that lists one value per loss must list as many as there are losses. */
const perLoss =
  (field: string) =>
  (o: Record<string, unknown>, losses: string[]): [string[], string][] =>
    Array.isArray(o[field]) && (o[field] as unknown[]).length !== losses.length ? [[[field], `${(o[field] as unknown[]).length} value(s) for ${losses.length} losses (${losses.join(', ')})`]] : [];

/**
 * The fusion family, the one place that names its members. Adding a strategy is one new file in
 * src/fusion (a BaseStrategy subclass with its options schema) plus one line here.
 */
export const STRATEGIES = {
  batchAdaptive: {
    options: BatchAdaptiveSchema,
    capabilities: BatchAdaptiveStrategy.capabilities,
    create: (l, o) => new BatchAdaptiveStrategy(l, o),
    check: (o, losses) => [
      ...perLoss('baseWeights')(o, losses),
      ...Object.keys((o.roles as Record<string, unknown> | undefined) ?? {})
        .filter((k) => !losses.includes(k))
        .map((k): [string[], string] => [['roles', k], `"${k}" is not one of the losses (${losses.join(', ')})`]),
    ],
    help: "SegFusion's rule: weights follow each batch's foreground share, rare-class presence and shortfalls from sensitivity/specificity targets",
    docs: 'loss-fusion#batch-adaptive-weighting',
  },
  static: {
    options: StaticSchema,
    capabilities: StaticStrategy.capabilities,
    create: (l, o) => new StaticStrategy(l, o),
    check: perLoss('weights'),
    help: 'Fixed weights (default 1 each): the baseline',
    docs: STRATEGY_DOCS,
  },
  uncertainty: {
    options: UncertaintySchema,
    capabilities: UncertaintyStrategy.capabilities,
    create: (l, o) => new UncertaintyStrategy(l, o),
    help: 'Homoscedastic uncertainty (Kendall et al. 2018): learned log-variance per loss',
    docs: STRATEGY_DOCS,
  },
  dwa: {
    options: DwaSchema,
    capabilities: DwaStrategy.capabilities,
    create: (l, o) => new DwaStrategy(l, o),
    help: 'Dynamic Weight Average (Liu et al. 2019): losses that stop falling gain weight',
    docs: STRATEGY_DOCS,
  },
  gradnorm: {
    options: GradNormSchema,
    capabilities: GradNormStrategy.capabilities,
    create: (l, o) => new GradNormStrategy(l, o),
    help: 'GradNorm (Chen et al. 2018): balances gradient norms at the last shared layer (one extra backward pass per loss)',
    docs: STRATEGY_DOCS,
  },
} as const satisfies Record<string, StrategyPlugin>;

export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as [StrategyName, ...StrategyName[]];

/** Fusion section of a run config: a registered strategy and options valid for it (checked at launch). */
export const FusionConfigSchema = z
  .strictObject({
    strategy: z.enum(STRATEGY_NAMES),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((c, ctx) => checkPluginOptions(STRATEGIES[c.strategy].options, c.options, ctx));
export type FusionConfig = z.input<typeof FusionConfigSchema>;

/** Whether a strategy's options schema has a given option (e.g. sensitivityTargets). */
export function strategyTakesOption(strategy: StrategyName, option: string): boolean {
  const shape = (STRATEGIES[strategy].options as unknown as { shape?: Record<string, unknown> }).shape;
  return Boolean(shape && option in shape);
}

/** The checks of a fusion config against the run's losses, as [path below the config, message]. */
export function fusionProblems(config: z.output<typeof FusionConfigSchema>, lossNames: string[]): [string[], string][] {
  const check = (STRATEGIES[config.strategy] as StrategyPlugin).check;
  return (check?.(config.options, lossNames) ?? []).map(([path, message]) => [['fusion', 'options', ...path], message]);
}

export function createFusionStrategy(lossNames: string[], config: FusionConfig): FusionStrategy {
  const c = parseOptions('fusion', FusionConfigSchema, config);
  const problems = fusionProblems(c, lossNames);
  if (problems.length) throw new FusionOptionError(`${c.strategy}: ${problems.map(([p, m]) => `${p.slice(2).join('.')}: ${m}`).join('; ')}`);
  // The options were validated against this strategy's schema above; its factory parses them again.
  return (STRATEGIES[c.strategy] as StrategyPlugin).create(lossNames, c.options as never);
}
