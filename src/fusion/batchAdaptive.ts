import { z } from 'zod';
import { LOSSES, LossRoleSchema, type LossName, type LossRole } from '../losses/registry.js';
import { BaseStrategy } from './baseStrategy.js';
import { FusionControlsSchema, FusionOptionError, parseOptions, type FusionControlsInput } from './controls.js';
import type { BatchStats, FusionStep } from './strategy.js';

const Targets = z.record(z.string().regex(/^\d+$/), z.number().gt(0).max(1));

export const BatchAdaptiveSchema = z.strictObject({
  baseWeights: z.array(z.number().positive()).optional().describe('Base weight of each loss (default 1 each).'),
  roles: z.record(z.string(), LossRoleSchema).optional().describe('Role of each loss by name (region, recall or voxel); default: the role the loss registry gives it.'),
  referenceForeground: z.number().gt(0).max(1).default(0.1).describe('Foreground fraction f_ref in (0, 1] below which region losses gain weight (default 0.1).'),
  foregroundGain: z.number().min(0).default(1).describe('Largest extra factor κ >= 0 for region losses at zero foreground (default 1: up to x2).'),
  rareClasses: z.array(z.number().int().min(0)).optional().describe('Classes whose presence in the batch boosts recall losses (default: every class but 0).'),
  presenceGain: z.number().min(0).default(0.5).describe('Extra factor ρ >= 0 for recall losses when a rare class is present (default 0.5).'),
  sensitivityTargets: Targets.default({}).describe('Per-class sensitivity targets in (0, 1], e.g. {"2": 0.9} (default none).'),
  specificityTargets: Targets.default({}).describe('Per-class specificity targets in (0, 1] (default none).'),
  targetGain: z.number().min(0).default(2).describe('Gain λ >= 0 on relative shortfalls from the targets (default 2).'),
  targetScope: z
    .enum(['class', 'loss'])
    .default('class')
    .describe("Where a shortfall of class c acts: 'class' (default) on class c's terms of the recall (sensitivity) or voxel (specificity) losses; 'loss' on those whole losses, every class alike (SegFusion's first rule)."),
  statisticsSmoothing: z
    .number()
    .min(0)
    .lt(1)
    .default(0.9)
    .describe('EMA factor β_s in [0, 1) of the running voxel counts the shortfalls are read from (default 0.9, about ten batches); 0 reads each batch alone, which a batch with two lesion voxels makes a coin toss.'),
  controls: FusionControlsSchema.optional().describe('Common controls: normalize, minWeight, maxWeight, warmupEpochs, smoothing (docs/loss-fusion.md).'),
});
export type BatchAdaptiveOptions = z.input<typeof BatchAdaptiveSchema> & { controls?: FusionControlsInput };

/** Running (EMA) per-class voxel counts: true positives, ground truth, false positives, negatives. */
interface RunningCounts {
  tp: number[];
  gt: number[];
  fp: number[];
  negatives: number[];
}

/**
 * Batch-adaptive weighting, SegFusion's own rule (docs/loss-fusion.md gives the rationale and the
 * measurements behind it). Per batch, with foreground fraction f, rare classes R present or not, and
 * per class the running sensitivity ŝ_c = EMA(TP_c) / EMA(GT_c) and specificity p̂_c = 1 − EMA(FP_c) /
 * EMA(N_c) of the arg-max prediction (EMA factor β_s over batches), the relative shortfalls are
 * σ_c = max(0, τ_c − ŝ_c) / τ_c and σ'_c = max(0, τ'_c − p̂_c) / τ'_c. Loss weights:
 *
 *   region:  w_i = b_i (1 + κ max(0, 1 − f / f_ref))
 *   recall:  w_i = b_i (1 + ρ [any c ∈ R present])
 *   voxel:   w_i = b_i
 *
 * then the common controls (normalise to sum K, bounds, EMA). With targetScope 'class' (default), the
 * (loss, class) factors are m_ic = 1 + λ σ_c for recall losses, 1 + λ σ'_c for voxel losses and 1 for
 * region losses, and the step minimises Σ_i w_i Σ_c m_ic L_ic: a lesion shortfall raises the lesion
 * terms and leaves the organ's alone. With 'loss', the whole recall weight is multiplied by
 * (1 + λ Σ_c σ_c) and the voxel weight by (1 + λ Σ_c σ'_c) instead. Without batch statistics the base
 * weights are used.
 */
export class BatchAdaptiveStrategy extends BaseStrategy {
  static override readonly capabilities = { gradientNorms: false, learnedWeights: false, classWeights: true };
  private readonly o: z.infer<typeof BatchAdaptiveSchema>;
  private readonly roles: LossRole[];
  private running: RunningCounts | null = null;

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

  /** Folds a batch's counts into the running counts (the first batch starts them). */
  private observe(b: BatchStats): RunningCounts {
    const total = b.counts.groundTruth.reduce((a, v) => a + v, 0);
    const now: RunningCounts = {
      tp: b.counts.truePositives,
      gt: b.counts.groundTruth,
      fp: b.counts.predicted.map((p, c) => p - b.counts.truePositives[c]),
      negatives: b.counts.groundTruth.map((g) => total - g),
    };
    const beta = this.o.statisticsSmoothing;
    const prev = this.running;
    const mix = (key: keyof RunningCounts) => now[key].map((v, c) => (prev && prev[key].length === now[key].length ? beta * prev[key][c] + (1 - beta) * v : v));
    this.running = { tp: mix('tp'), gt: mix('gt'), fp: mix('fp'), negatives: mix('negatives') };
    return this.running;
  }

  /** Running sensitivity and specificity per class (null where the class has not been seen / is everything). */
  runningRates(): { sensitivity: (number | null)[]; specificity: (number | null)[] } | null {
    const r = this.running;
    if (!r) return null;
    return { sensitivity: r.gt.map((g, c) => (g > 0 ? r.tp[c] / g : null)), specificity: r.negatives.map((n, c) => (n > 0 ? 1 - r.fp[c] / n : null)) };
  }

  private checkClasses(classes: number): number[] {
    const rare = this.o.rareClasses ?? [...Array(classes).keys()].filter((c) => c !== 0);
    for (const c of [...rare, ...Object.keys(this.o.sensitivityTargets).map(Number), ...Object.keys(this.o.specificityTargets).map(Number)]) {
      if (c >= classes) throw new FusionOptionError(`batchAdaptive: class ${c} is configured but the batch has ${classes} classes`);
    }
    return rare;
  }

  /** Per class, the relative shortfalls σ_c (sensitivity) and σ'_c (specificity) from the running rates; 0 where no target or no estimate. */
  shortfalls(classes: number): { sensitivity: number[]; specificity: number[] } {
    const rates = this.runningRates();
    const of = (targets: Record<string, number>, values: (number | null)[] | undefined) =>
      [...Array(classes).keys()].map((c) => {
        const t = targets[String(c)];
        const v = values?.[c];
        return t === undefined || v === null || v === undefined ? 0 : Math.max(0, t - v) / t;
      });
    return { sensitivity: of(this.o.sensitivityTargets, rates?.sensitivity), specificity: of(this.o.specificityTargets, rates?.specificity) };
  }

  /**
   * The multiplier of each role for a batch (after the batch's counts are folded into the running
   * estimate by update()), exposed so dashboards can show why weights moved.
   */
  factors(step: FusionStep): Record<LossRole, number> {
    const b = step.batch;
    if (!b) return { region: 1, recall: 1, voxel: 1 };
    const classes = b.classPresent.length;
    const rare = this.checkClasses(classes);
    const whole = this.o.targetScope === 'loss';
    const s = this.shortfalls(classes);
    const sum = (v: number[]) => v.reduce((a, x) => a + x, 0);
    return {
      region: 1 + this.o.foregroundGain * Math.max(0, 1 - b.foregroundFraction / this.o.referenceForeground),
      recall: (1 + (rare.some((c) => b.classPresent[c]) ? this.o.presenceGain : 0)) * (whole ? 1 + this.o.targetGain * sum(s.sensitivity) : 1),
      voxel: whole ? 1 + this.o.targetGain * sum(s.specificity) : 1,
    };
  }

  protected update(step: FusionStep): number[] {
    if (step.batch) this.observe(step.batch);
    const f = this.factors(step);
    return this.initial.map((b, i) => b * f[this.roles[i]]);
  }

  protected override updateClassWeights(step: FusionStep): number[][] {
    const classes = step.batch?.classPresent.length ?? this.running?.tp.length ?? 1;
    if (this.o.targetScope === 'loss' || !step.batch) return this.roles.map(() => Array(classes).fill(1));
    const s = this.shortfalls(classes);
    return this.roles.map((role) => [...Array(classes).keys()].map((c) => (role === 'recall' ? 1 + this.o.targetGain * s.sensitivity[c] : role === 'voxel' ? 1 + this.o.targetGain * s.specificity[c] : 1)));
  }

  protected override extraState(): unknown {
    return { running: this.running };
  }

  protected override restoreExtra(extra: unknown): void {
    const r = (extra as { running?: RunningCounts | null } | null)?.running;
    this.running = r && Array.isArray(r.tp) ? { tp: [...r.tp], gt: [...r.gt], fp: [...r.fp], negatives: [...r.negatives] } : null;
  }
}
