import { z } from 'zod';
import { LOSSES, LossRoleSchema, type LossName, type LossRole } from '../losses/registry.js';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, FusionOptionError, parseOptions, type FusionControlsInput } from './controls.js';
import type { FusionStep } from './strategy.js';

export const BatchAdaptiveSchema = z.strictObject({
  /** Base weight of each loss (default 1 each). */
  baseWeights: z.array(z.number().positive()).optional(),
  /** Role of each loss by name (region, recall or voxel); default: the role the loss registry gives it. */
  roles: z.record(z.string(), LossRoleSchema).optional(),
  /** Foreground fraction f_ref in (0, 1] below which region losses gain weight (default 0.1). */
  referenceForeground: z.number().gt(0).max(1).default(0.1),
  /** Largest extra factor κ >= 0 for region losses at zero foreground (default 1: up to x2). */
  foregroundGain: z.number().min(0).default(1),
  /** Classes whose presence in the batch boosts recall losses (default: every class but 0). */
  rareClasses: z.array(z.number().int().min(0)).optional(),
  /** Extra factor ρ >= 0 for recall losses when a rare class is present (default 0.5). */
  presenceGain: z.number().min(0).default(0.5),
  /** Per-class sensitivity targets in (0, 1], e.g. {"2": 0.9} (default none). */
  sensitivityTargets: z.record(z.string().regex(/^\d+$/), z.number().gt(0).max(1)).default({}),
  /** Per-class specificity targets in (0, 1] (default none). */
  specificityTargets: z.record(z.string().regex(/^\d+$/), z.number().gt(0).max(1)).default({}),
  /** Gain λ >= 0 on relative shortfalls from the targets (default 2). */
  targetGain: z.number().min(0).default(2),
  controls: FusionControlsSchema.optional(),
});
export type BatchAdaptiveOptions = z.input<typeof BatchAdaptiveSchema> & { controls?: FusionControlsInput };

/**
 * Batch-adaptive weighting, SegFusion's own rule (docs/loss-fusion.md gives the rationale). For a batch
 * with foreground fraction f, rare classes R present or not, and per-class sensitivity s_c and
 * specificity p_c of the thresholded prediction:
 *
 *   region:  w_i = b_i (1 + κ max(0, 1 - f / f_ref))
 *   recall:  w_i = b_i (1 + ρ [any c ∈ R present]) (1 + λ Σ_c max(0, τ_c - s_c) / τ_c)
 *   voxel:   w_i = b_i (1 + λ Σ_c max(0, τ'_c - p_c) / τ'_c)
 *
 * (classes whose sensitivity is undefined in the batch, i.e. absent, add no shortfall), followed by the
 * common controls (normalise to sum K, bounds, EMA). Without batch statistics the base weights are used.
 */
export class BatchAdaptiveStrategy extends BaseStrategy {
  private readonly o: z.infer<typeof BatchAdaptiveSchema>;
  private readonly roles: LossRole[];

  constructor(lossNames: string[], options: BatchAdaptiveOptions = {}) {
    const o = parseOptions('batchAdaptive', BatchAdaptiveSchema, options);
    const base = o.baseWeights ?? lossNames.map(() => 1);
    super('batchAdaptive', lossNames, FusionControlsSchema.parse(o.controls ?? {}), base);
    this.o = o;
    this.roles = lossNames.map((n) => {
      const role = o.roles?.[n] ?? (n in LOSSES ? LOSSES[n as LossName].role : undefined);
      if (!role) throw new FusionOptionError(`batchAdaptive: no role for loss "${n}"; give roles: {"${n}": "region" | "recall" | "voxel"}`);
      return role;
    });
    for (const key of Object.keys(o.roles ?? {})) {
      if (!lossNames.includes(key)) throw new FusionOptionError(`batchAdaptive: roles names "${key}", which is not one of the losses (${lossNames.join(', ')})`);
    }
  }

  /** The multiplier of each role for a batch, exposed so dashboards can show why weights moved. */
  factors(step: FusionStep): Record<LossRole, number> {
    const b = step.batch;
    if (!b) return { region: 1, recall: 1, voxel: 1 };
    const classes = b.classPresent.length;
    const rare = this.o.rareClasses ?? [...Array(classes).keys()].filter((c) => c !== 0);
    for (const c of [...rare, ...Object.keys(this.o.sensitivityTargets).map(Number), ...Object.keys(this.o.specificityTargets).map(Number)]) {
      if (c >= classes) throw new FusionOptionError(`batchAdaptive: class ${c} is configured but the batch has ${classes} classes`);
    }
    const shortfall = (targets: Record<string, number>, values: (number | null)[]) =>
      Object.entries(targets).reduce((sum, [c, t]) => {
        const v = values[Number(c)];
        return v === null || v === undefined ? sum : sum + Math.max(0, t - v) / t;
      }, 0);
    return {
      region: 1 + this.o.foregroundGain * Math.max(0, 1 - b.foregroundFraction / this.o.referenceForeground),
      recall: (1 + (rare.some((c) => b.classPresent[c]) ? this.o.presenceGain : 0)) * (1 + this.o.targetGain * shortfall(this.o.sensitivityTargets, b.sensitivity)),
      voxel: 1 + this.o.targetGain * shortfall(this.o.specificityTargets, b.specificity),
    };
  }

  protected update(step: FusionStep): number[] {
    const f = this.factors(step);
    return this.initial.map((b, i) => b * f[this.roles[i]]);
  }
}
