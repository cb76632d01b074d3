import { applyControls, FusionOptionError, type FusionControls } from './controls.js';
import type { FusionStep, FusionStrategy, StrategyCapabilities, WeightRecord } from './strategy.js';

/** Shared bookkeeping: warm-up, controls (normalise, bounds, EMA), history and state. */
export abstract class BaseStrategy implements FusionStrategy {
  readonly history: WeightRecord[] = [];
  protected current: number[];
  /** [loss][class] factors of the last batch, for strategies that weight classes (null otherwise). */
  private currentClassWeights: number[][] | null = null;
  /** Whether `current` holds the weights of a previous batch (EMA smoothing starts from those). */
  private hasPrevious = false;

  /** Most strategies compute their weights from loss values and batch statistics alone. */
  static readonly capabilities: StrategyCapabilities = { gradientNorms: false, learnedWeights: false, classWeights: false };

  /** The capabilities of the concrete strategy (its class's static `capabilities`). */
  get capabilities(): StrategyCapabilities {
    return (this.constructor as unknown as { capabilities: StrategyCapabilities }).capabilities;
  }

  protected constructor(
    readonly name: string,
    readonly lossNames: readonly string[],
    protected readonly controls: FusionControls,
    protected readonly initial: number[],
  ) {
    if (lossNames.length === 0) throw new FusionOptionError(`${name}: needs at least one loss`);
    if (initial.length !== lossNames.length) throw new FusionOptionError(`${name}: ${initial.length} initial weights for ${lossNames.length} losses`);
    this.current = [...initial];
  }

  /** True when update() already applies the controls (learned weights, whose graph must see the same values). */
  protected get appliesOwnControls(): boolean {
    return false;
  }

  /** The strategy's own rule: raw weights for this batch, before the common controls. */
  protected abstract update(step: FusionStep): number[];

  /**
   * Strategies with the classWeights capability: the [loss][class] factors for this batch, called after
   * update(). The common controls act on the per-loss weights only; these factors carry their own bounds.
   */
  protected updateClassWeights(step: FusionStep): number[][] | null {
    void step;
    return null;
  }

  weights(step: FusionStep): number[] {
    if (step.losses.length !== this.lossNames.length) {
      throw new FusionOptionError(`${this.name}: got ${step.losses.length} loss values for ${this.lossNames.length} losses (${this.lossNames.join(', ')})`);
    }
    const inWarmup = step.epoch < this.controls.warmupEpochs;
    const raw = this.update(step);
    const w = inWarmup ? [...this.initial] : this.appliesOwnControls ? raw : applyControls(raw, this.hasPrevious ? this.current : null, this.controls);
    this.current = w;
    this.hasPrevious = true;
    const classWeights = this.updateClassWeights(step);
    this.currentClassWeights = classWeights && inWarmup ? classWeights.map((r) => r.map(() => 1)) : classWeights;
    this.history.push({ step: step.step, epoch: step.epoch, weights: [...w], ...(this.currentClassWeights ? { classWeights: this.currentClassWeights.map((r) => [...r]) } : {}) });
    return [...w];
  }

  classWeights(): number[][] {
    if (!this.currentClassWeights) throw new FusionOptionError(`${this.name}: classWeights() before weights(), or the strategy does not weight classes`);
    return this.currentClassWeights.map((r) => [...r]);
  }

  state(): unknown {
    return { current: this.current, extra: this.extraState() };
  }

  restore(state: unknown): void {
    const s = state as { current: number[]; extra: unknown };
    if (!Array.isArray(s?.current) || s.current.length !== this.lossNames.length) throw new FusionOptionError(`${this.name}: saved state does not fit ${this.lossNames.length} losses`);
    this.current = [...s.current];
    this.hasPrevious = true;
    this.restoreExtra(s.extra);
  }

  protected extraState(): unknown {
    return null;
  }

  protected restoreExtra(extra: unknown): void {
    void extra;
  }
}
