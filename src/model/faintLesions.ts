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

/** One case's detection counts at each threshold of a sweep (detectionSweep). */
export interface DetectionSweep {
  /** Components (26-connected) of p >= t that hold no voxel of a lesion: false positives of the rule p >= t. */
  falsePositives: Int32Array;
  /** Lesions the two-threshold rule finds with t as its detection threshold; null without a rule. Entries at t >= outline count the drawn labels only. */
  found: Int32Array | null;
}

/**
 * One case's detection counts at every threshold of `detects` (descending) in one pass, without
 * labelling the components once per threshold:
 * - false-positive components of the rule p >= t (those holding no voxel of `lesions`, the ground
 *   truth's 26-connected components of the class), for every threshold;
 * - with `rule`, how many lesions the two-threshold rule finds with t as its detection threshold: what
 *   addFaintLesions followed by an any-overlap count gives, threshold by threshold. `rule.drawn` holds
 *   the labels before the faint lesions (labelsAt at the outline threshold: an arg-max voxel of class
 *   `rule.cls` or p >= outline), which find a lesion at every threshold. A lesion not drawn is found at t
 *   when a voxel v of it has p_v >= t and its component of p >= t peaks below the outline at no more
 *   than 2 p_v. Components only merge as t falls, so a lesion's faint voxel can be found at one
 *   threshold and lost at a lower one (its component reaches the outline): the counts need not be
 *   monotone.
 * How: voxels join a union-find level by level, a level being the voxels that first reach one
 * threshold (26-connectivity; each root keeps its component's peak and whether it touches a lesion), and
 * after each level only the lesions' voxels are read.
 */
export function detectionSweep(
  p: Float32Array,
  size: readonly [number, number, number],
  lesions: { labels: Int32Array; count: number },
  detects: readonly number[],
  rule?: { drawn: Uint8Array; cls: number; outline: number },
): DetectionSweep {
  const [nx, ny, nz] = size;
  const plane = nx * ny;
  const falsePositives = new Int32Array(detects.length);
  const found = rule ? new Int32Array(detects.length) : null;
  const always = new Uint8Array(lesions.count + 1);
  const members: number[] = [];
  for (let v = 0; v < p.length; v++) {
    const l = lesions.labels[v];
    if (!l) continue;
    members.push(v);
    if (rule && rule.drawn[v] === rule.cls) always[l] = 1;
  }
  let alwaysFound = 0;
  for (let l = 1; l <= lesions.count; l++) alwaysFound += always[l];
  // Voxels by level (the first threshold they reach), a counting sort: within a level the order does
  // not matter, since a merge keeps the root of higher p.
  const levelOf = new Int32Array(p.length).fill(-1);
  const start = new Int32Array(detects.length + 1);
  for (let v = 0; v < p.length; v++) {
    let lo = 0;
    let hi = detects.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[v] >= detects[mid]) hi = mid;
      else lo = mid + 1;
    }
    if (lo < detects.length) {
      levelOf[v] = lo;
      start[lo + 1]++;
    }
  }
  for (let k = 0; k < detects.length; k++) start[k + 1] += start[k];
  const order = new Int32Array(start[detects.length]);
  const fill = start.slice(0, detects.length);
  for (let v = 0; v < p.length; v++) if (levelOf[v] >= 0) order[fill[levelOf[v]]++] = v;
  const parent = new Int32Array(p.length).fill(-1);
  const touches = new Uint8Array(p.length);
  const root = (v: number): number => {
    let r = v;
    while (parent[r] !== r) {
      parent[r] = parent[parent[r]];
      r = parent[r];
    }
    return r;
  };
  let components = 0;
  let touching = 0;
  // The first voxel of a component in descending order is its peak: a merge keeps the root of higher p.
  const join = (a: number, b: number) => {
    let ra = root(a);
    let rb = root(b);
    if (ra === rb) return;
    if (p[ra] < p[rb]) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    components--;
    if (touches[ra] && touches[rb]) touching--;
    touches[ra] |= touches[rb];
  };
  const hit = new Uint8Array(lesions.count + 1);
  for (let level = 0; level < detects.length; level++) {
    for (let n = start[level]; n < start[level + 1]; n++) {
      const v = order[n];
      parent[v] = v;
      components++;
      if (lesions.labels[v]) {
        touches[v] = 1;
        touching++;
      }
      const k = Math.floor(v / plane);
      const j = Math.floor((v - k * plane) / nx);
      const i = v - k * plane - j * nx;
      for (let kk = Math.max(0, k - 1); kk <= Math.min(nz - 1, k + 1); kk++)
        for (let jj = Math.max(0, j - 1); jj <= Math.min(ny - 1, j + 1); jj++)
          for (let ii = Math.max(0, i - 1); ii <= Math.min(nx - 1, i + 1); ii++) {
            const u = ii + nx * jj + plane * kk;
            if (u !== v && parent[u] >= 0) join(u, v);
          }
    }
    falsePositives[level] = components - touching;
    if (!rule || !found) continue;
    hit.fill(0);
    let count = alwaysFound;
    for (const v of members) {
      const l = lesions.labels[v];
      if (always[l] || hit[l] || parent[v] < 0) continue;
      const peak = p[root(v)];
      if (peak < rule.outline && p[v] >= FAINT_OUTLINE_FRACTION * peak) {
        hit[l] = 1;
        count++;
      }
    }
    found[level] = count;
  }
  return { falsePositives, found };
}
