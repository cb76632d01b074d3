import { z } from 'zod';
import { checkPluginOptions } from '../util/pluginOptions.js';
import { createCrossEntropyLoss, CrossEntropyOptionsSchema } from './crossEntropy.js';
import { createDiceLoss, DiceOptionsSchema } from './dice.js';
import { createFocalLoss, FocalOptionsSchema } from './focal.js';
import { createSensitivitySpecificityLoss, SensitivitySpecificityOptionsSchema } from './sensitivitySpecificity.js';
import { createTverskyLoss, TverskyOptionsSchema } from './tversky.js';
import type { LossFn } from './types.js';

/**
 * What a loss term is for, which decides which batch signal moves its weight under batch-adaptive
 * fusion (docs/loss-fusion.md):
 * - region: overlap losses normalised by structure size (Dice): favoured when foreground is scarce;
 * - recall: losses that punish missed foreground (Tversky with β > α, sensitivity-specificity, focal);
 * - voxel: per-voxel losses (cross-entropy): favoured when specificity falls short of its target.
 */
export const LossRoleSchema = z.enum(['region', 'recall', 'voxel']);
export type LossRole = z.infer<typeof LossRoleSchema>;

/** One loss of the family: its options (defaults and ranges), role, factory, one line of help and where docs/ explains it. */
export interface LossPlugin {
  options: z.ZodType;
  role: LossRole;
  create: (options: never) => LossFn;
  help: string;
  /** The document and section, e.g. "loss-fusion#loss-terms-srclosses" (served at /docs/...). */
  docs: string;
}

/** The section of docs/loss-fusion.md with every loss's formula, options and source. */
const LOSS_DOCS = 'loss-fusion#loss-terms-srclosses';

/**
 * The loss family, the one place that names its members. Adding a loss is one new file in src/losses
 * (a pure function with its options schema) plus one line here; the run config, the CLI help, the
 * dashboard's form and the API's GET /api/plugins are built from this table.
 */
export const LOSSES = {
  dice: { options: DiceOptionsSchema, role: 'region', create: createDiceLoss, help: 'Soft Dice (V-Net): overlap per class, insensitive to class size', docs: LOSS_DOCS },
  focal: { options: FocalOptionsSchema, role: 'recall', create: createFocalLoss, help: 'Focal loss (Lin et al.): cross-entropy down-weighting well-classified voxels', docs: LOSS_DOCS },
  sensitivitySpecificity: {
    options: SensitivitySpecificityOptionsSchema,
    role: 'recall',
    create: createSensitivitySpecificityLoss,
    help: 'Sensitivity-specificity (Brosch et al.): weighted squared error on missed and false foreground',
    docs: LOSS_DOCS,
  },
  crossEntropy: { options: CrossEntropyOptionsSchema, role: 'voxel', create: createCrossEntropyLoss, help: 'Categorical cross-entropy, optionally class-weighted', docs: LOSS_DOCS },
  tversky: {
    options: TverskyOptionsSchema,
    role: 'recall',
    create: createTverskyLoss,
    help: 'Tversky (Salehi et al.): Dice with separate weights on false positives (alpha) and negatives (beta)',
    docs: LOSS_DOCS,
  },
} as const satisfies Record<string, LossPlugin>;

export type LossName = keyof typeof LOSSES;
export const LOSS_NAMES = Object.keys(LOSSES) as [LossName, ...LossName[]];

/** A run config's loss term: a registered name and options valid for it (checked at launch, field by field). */
export const LossTermSchema = z
  .strictObject({
    name: z.enum(LOSS_NAMES),
    /** Passed to the loss factory; validated against the loss's options schema. */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((term, ctx) => checkPluginOptions(LOSSES[term.name].options, term.options, ctx));

/** Builds a registered loss from its (already validated) options. */
export const createLoss = (name: LossName, options: unknown): LossFn => (LOSSES[name].create as (o: unknown) => LossFn)(options);
