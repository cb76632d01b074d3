import type { ClassOperatingPoint, TradeOffPoint } from './operatingPoint.js';

// Its own module, free of zod, because the dashboard's bundle reads the same points.

/** The curve's point at the threshold picked (what validation measured there); undefined without a curve or a threshold. */
export const pickedPoint = (p: Pick<ClassOperatingPoint, 'curve' | 'threshold'>): TradeOffPoint | undefined => p.curve.find((c) => c.t === p.threshold);

/** The point of highest validation Dice on a class's trade-off curve (the larger t on ties); null without a curve. */
export function bestDicePoint(p: Pick<ClassOperatingPoint, 'curve'>): TradeOffPoint | null {
  let best: TradeOffPoint | null = null;
  for (const c of p.curve) if (c.dice !== null && (best === null || c.dice >= (best.dice ?? -1))) best = c;
  return best;
}
