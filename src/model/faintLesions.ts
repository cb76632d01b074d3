import { connectedComponents } from '../metrics/connectedComponents.js';

/**
 * Share of a faint component's peak probability that outlines it (default 0.5): the component's voxels
 * at p >= max(detection threshold, 0.5 x peak), its region at half its maximum. Without it, a component
 * found at t = 0.04 would be outlined at 0.04, several voxels wider than the lesion.
 */
export const FAINT_OUTLINE_FRACTION = 0.5;

/** One class's two thresholds: `detect` finds lesions, `outline` draws the voxels of those it reaches. */
export interface TwoThresholdRule {
  detect: number;
  outline: number;
}

/**
 * The faint lesions of an operating point with two thresholds per class, added to `labels` (the voxel
 * rule's labels at each class's outline threshold, segmentVolume's `thresholds`). For class c with
 * detect < outline: every 26-connected component of p_c >= detect that holds no voxel at p_c >= outline
 * is a lesion the outline threshold misses; its voxels at p_c >= max(detect, FAINT_OUTLINE_FRACTION x
 * its peak) take class c, unless they already hold another class of `rules` (that class's own rule
 * claimed them). A component that reaches the outline threshold keeps its outline as it is.
 * Why two thresholds: a lesion-wise target is a count of lesions found, and meeting it on small, faint
 * lesions took thresholds down to 0.04, which outlined every confident lesion several voxels too wide
 * (0.05-0.09 test lesion Dice lost for 0-4 more lesions found, docs/loss-fusion.md).
 * `probabilities`: class c's probability per voxel (i fastest, the grid of `labels`, `size` (i, j, k)).
 * Returns a new label volume; `labels` is left as it is.
 */
export function addFaintLesions(labels: Uint8Array, probabilities: ReadonlyMap<number, Float32Array>, rules: Readonly<Record<number, TwoThresholdRule>>, size: readonly [number, number, number]): Uint8Array {
  const out = Uint8Array.from(labels);
  const ruled = new Set(Object.keys(rules).map(Number));
  for (const [key, rule] of Object.entries(rules)) {
    const c = Number(key);
    if (!(rule.detect < rule.outline)) continue;
    const p = probabilities.get(c);
    if (!p || p.length !== labels.length) throw new RangeError(`addFaintLesions: class ${c} has a detection threshold but its probabilities were not kept`);
    const { labels: component, count } = connectedComponents(
      Uint8Array.from(p, (v) => (v >= rule.detect ? 1 : 0)),
      size,
    );
    const peak = new Float32Array(count + 1);
    for (let v = 0; v < p.length; v++) if (component[v] && p[v] > peak[component[v]]) peak[component[v]] = p[v];
    for (let v = 0; v < p.length; v++) {
      const l = component[v];
      if (!l || peak[l] >= rule.outline) continue;
      if (p[v] >= Math.max(rule.detect, FAINT_OUTLINE_FRACTION * peak[l]) && (out[v] === c || !ruled.has(out[v]))) out[v] = c;
    }
  }
  return out;
}
