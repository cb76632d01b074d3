/**
 * A FROC curve as drawn: its points (false positives per case, sensitivity, in any order) ascending in
 * false positives up to `maxRate`, each with the highest sensitivity reached within it (the reading of
 * froc() in src/metrics/froc.ts), from "nothing detected" (0, 0). Kept apart from froc.ts, which
 * carries its zod schema, so that the dashboard's bundle can draw it.
 */
export function frocEnvelope(curve: readonly { sensitivity: number; falsePositivesPerCase: number }[], maxRate: number): [number, number][] {
  const points = curve.filter((q) => q.falsePositivesPerCase <= maxRate).sort((a, b) => a.falsePositivesPerCase - b.falsePositivesPerCase);
  const out: [number, number][] = [[0, 0]];
  for (const q of points) {
    const last = out[out.length - 1];
    const best = Math.max(last[1], q.sensitivity);
    if (q.falsePositivesPerCase === last[0]) last[1] = best;
    else out.push([q.falsePositivesPerCase, best]);
  }
  return out;
}
