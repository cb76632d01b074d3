import { z } from 'zod';
import { FusionConfigSchema, fusionProblems, strategyTakesOption } from '../fusion/registry.js';
import { createLoss, LossTermSchema } from '../losses/registry.js';
import { UNetArchitectureSchema } from '../model/unet.js';
import { OperatingPointConfigSchema } from './operatingPoint.js';
import { SelectionSchema } from './selection.js';
import type { NamedLoss } from './trainStep.js';
import { installPlainMessages } from '../util/zodMessages.js';

// Run configs arrive from people (CLI files, the launch form): their errors are worded for them.
installPlainMessages();

const Pair = z.tuple([z.number().positive(), z.number().positive()]);

/**
 * Everything that defines a training run, versioned and stored with it. `segfusion train --config`
 * reads a partial one; every field has the default shown here (the default trains the demo cohort in
 * about 10 minutes on 2 CPU cores with the wasm backend).
 */
export const RunConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    dataset: z.string().min(1),
    /** Seeds the split, initial weights, patch sampling and augmentation. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    split: z
      .strictObject({
        /** Share of patients held out for the final test evaluation (at least one when > 0). */
        test: z.number().min(0).max(0.5).default(0.2),
        /** Share of the remaining patients used for validation, unless `fold` is given. */
        validation: z.number().gt(0).max(0.5).default(0.2),
        /** k-fold cross-validation over the non-test patients: fold `index` (0-based) of `folds` validates. */
        fold: z.strictObject({ index: z.number().int().min(0), folds: z.number().int().min(2).max(20) }).optional(),
      })
      .prefault({})
      .refine((s) => !s.fold || s.fold.index < s.fold.folds, { message: 'fold index must be below the number of folds', path: ['fold', 'index'] }),
    model: UNetArchitectureSchema.prefault({}),
    preprocessing: z
      .strictObject({
        /** In-plane spacing in mm [x, y]; default: the median over the training series. */
        targetSpacing: Pair.optional(),
        /** CT window in HU; default: clip to the foreground percentiles, then z-score (nnU-Net). */
        window: z.strictObject({ center: z.number(), width: z.number().positive() }).optional(),
        /** Foreground intensity percentiles CT is clipped to (default 0.5 and 99.5). */
        clipPercentiles: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).default([0.5, 99.5]),
      })
      .prefault({})
      .refine((p) => p.clipPercentiles[0] < p.clipPercentiles[1], { message: 'lower clip percentile must be below the upper', path: ['clipPercentiles'] }),
    sampling: z
      .strictObject({
        /** Square patch side in pixels; must be divisible by 2^depth. */
        patchSize: z.number().int().min(8).max(1024).default(64),
        batchSize: z.number().int().min(1).max(256).default(8),
        /** Share of patches centred on a labelled voxel, the class drawn uniformly so rare classes are seen. */
        foregroundFraction: z.number().min(0).max(1).default(0.5),
        augmentation: z
          .strictObject({
            /** Probability of mirroring along each in-plane axis. */
            flip: z.number().min(0).max(1).default(0.5),
            /** Probability and largest angle (degrees) of an in-plane rotation. */
            rotation: z.number().min(0).max(1).default(0.2),
            maxRotationDegrees: z.number().min(0).max(180).default(15),
            /** Probability and range of isotropic in-plane scaling. */
            scaling: z.number().min(0).max(1).default(0.2),
            scaleRange: z.tuple([z.number().positive(), z.number().positive()]).default([0.85, 1.15]),
            /** Intensity: x * (1 + U(-s, s)) + U(-t, t) with probability `intensity`. */
            intensity: z.number().min(0).max(1).default(0.15),
            intensityScale: z.number().min(0).max(1).default(0.1),
            intensityShift: z.number().min(0).max(1).default(0.1),
            /** Probability and standard deviation (in normalised units) of additive gaussian noise. */
            noise: z.number().min(0).max(1).default(0.15),
            noiseStd: z.number().min(0).max(1).default(0.05),
          })
          .prefault({}),
      })
      .prefault({}),
    losses: z
      .array(LossTermSchema)
      .min(1)
      .default([
        { name: 'dice', options: {} },
        { name: 'focal', options: { gamma: 2 } },
        { name: 'sensitivitySpecificity', options: { r: 0.5 } },
      ])
      .refine((l) => new Set(l.map((t) => t.name)).size === l.length, 'each loss may appear once'),
    fusion: FusionConfigSchema.prefault({ strategy: 'batchAdaptive' }),
    optimizer: z
      .strictObject({
        learningRate: z.number().gt(0).max(1).default(2e-3),
        schedule: z.enum(['poly', 'cosine', 'constant']).default('poly'),
        /** Epochs of linear warm-up from learningRate/10 (default 1). */
        warmupEpochs: z.number().int().min(0).default(1),
      })
      .prefault({}),
    epochs: z.number().int().min(1).max(10000).default(24),
    batchesPerEpoch: z.number().int().min(1).max(100000).default(25),
    /**
     * Validate every this many epochs (and always after the last): selection and early stopping see only
     * those epochs; training is unchanged (MONAI's val_interval). 2 halves the validation cost, which
     * with mirroring is half of an epoch: the small-lesions preset's 48 epochs took 11.5 min instead of
     * about 17 on plain wasm, 2 cores, at the same lesion Dice (docs/loss-fusion.md).
     */
    validationInterval: z.number().int().min(1).max(1000).default(1),
    /** Stop when the selection score (below) has not improved for this many epochs (0: never); judged after validated epochs. */
    patience: z.number().int().min(0).default(8),
    /**
     * The run's clinical requirement, per class (label value): a voxel sensitivity in (0, 1], e.g.
     * {"2": 0.9}. Checkpoint selection respects it, the operating point is calibrated for it, and a
     * strategy with targets of its own (batchAdaptive) gets these unless its options give others.
     */
    sensitivityTargets: z.record(z.string().regex(/^\d+$/, 'a label value, e.g. "2"'), z.number().gt(0).max(1)).default({}),
    /** How the best checkpoint is chosen (and improvement judged): see src/train/selection.ts. */
    selection: SelectionSchema.prefault({}),
    /** How the network is applied to a volume: validation, test, the export and predict all use it. */
    inference: z
      .strictObject({
        /**
         * Test-time mirroring: each slice is segmented as is and mirrored along x, y and both, and the
         * four softmax outputs averaged (nnU-Net's default). Four times the inference time.
         */
        mirror: z.boolean().default(false),
        /**
         * With `mirror`: mirror the validation after every epoch as well, which selects the checkpoint
         * and decides early stopping (default true). false judges epochs unmirrored, at a quarter of that
         * cost, and mirrors only the final calibration, test, export and predict: an epoch of the
         * small-lesions preset then took 10-12 s instead of 17-21 s on plain wasm (2 cores), but on the
         * hard demo cohort lesion Dice fell from 0.54-0.55 to 0.46-0.51 (docs/loss-fusion.md).
         */
        mirrorEachEpoch: z.boolean().default(true),
      })
      .prefault({}),
    /** How per-class thresholds are calibrated for the sensitivity targets: see src/train/operatingPoint.ts. */
    operatingPoint: OperatingPointConfigSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.sampling.patchSize % 2 ** c.model.depth !== 0) {
      const multiple = 2 ** c.model.depth;
      const below = Math.floor(c.sampling.patchSize / multiple) * multiple;
      const fits = [below, below + multiple].filter((p) => p >= 8 && p <= 1024);
      ctx.addIssue({ code: 'custom', path: ['sampling', 'patchSize'], message: `patchSize ${c.sampling.patchSize} must be divisible by 2^depth = ${multiple} (the U-Net halves it ${c.model.depth} times): try ${fits.join(' or ')}` });
    }
    // The strategy's options against the configured losses (per-loss lists, role names).
    for (const [path, message] of fusionProblems(
      c.fusion,
      c.losses.map((l) => l.name),
    ))
      ctx.addIssue({ code: 'custom', path, message });
  });
export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export class RunConfigError extends Error {
  override name = 'RunConfigError';
  /** The run-config field at fault (e.g. "sampling.patchSize"), where one is: the API names it. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** zod parse whose error lists every wrong field with its path, e.g. "sampling.patchSize: ...". */
export function parseRunConfig(value: unknown): RunConfig {
  const r = RunConfigSchema.safeParse(value);
  if (!r.success) throw new RunConfigError(`run config: ${r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`);
  return r.data;
}

/** The configured loss terms, built (and their options range-checked) by their factories. */
export function buildLosses(config: RunConfig): NamedLoss[] {
  return config.losses.map((l) => ({ name: l.name, fn: createLoss(l.name, l.options) }));
}

/**
 * The run's sensitivity targets: the run-level ones, with a strategy's own (fusion.options) taking
 * precedence per class, and the fusion config the strategy is built with, the run-level targets added
 * where the strategy takes targets and its options give none.
 */
export function runTargets(config: RunConfig): { targets: Record<string, number>; fusion: RunConfig['fusion'] } {
  const own = (config.fusion.options as { sensitivityTargets?: Record<string, number> }).sensitivityTargets;
  const targets = { ...config.sensitivityTargets, ...(own ?? {}) };
  const takesTargets = strategyTakesOption(config.fusion.strategy, 'sensitivityTargets');
  const fusion = takesTargets && !own && Object.keys(targets).length ? { ...config.fusion, options: { ...config.fusion.options, sensitivityTargets: targets } } : config.fusion;
  return { targets, fusion };
}
