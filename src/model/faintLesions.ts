import { ComponentTree, descendingOrder, FAINT_OUTLINE_FRACTION } from './componentTree.js';

export { FAINT_OUTLINE_FRACTION };

/** One class's two thresholds: `detect` finds lesions, `outline` draws the voxels of those it reaches. */
export interface TwoThresholdRule {
  detect: number;
  outline: number;
}

/**
 * The faint lesions of an operating point with two thresholds per class, added to `labels` (the voxel
 * rule's labels at each class's outline threshold, segmentVolume's `thresholds`). For class c with
 * detect < outline, a faint lesion is a peak of p_c below the outline threshold that the detection
 * threshold reaches: the 26-connected region around it at p_c >= detect when that region holds no
 * higher peak, or, when it joins the region of a higher peak (faint or reaching the outline), the part
 * of it above the join, provided the join (the saddle) is at no more than half its peak (a shoulder of
 * a higher peak is not a lesion of its own; ComponentTree). Its voxels at p_c >= max(detect, FAINT_OUTLINE_FRACTION x its peak)
 * take class c, unless they already hold another class of `rules` (that class's own rule claimed
 * them). A region that reaches the outline threshold keeps its outline as it is.
 * Why two thresholds: a lesion-wise target is a count of lesions found, and meeting it on small, faint
 * lesions took thresholds down to 0.04, which outlined every confident lesion several voxels too wide
 * (0.05-0.09 test lesion Dice lost for 0-4 more lesions found, docs/loss-fusion.md). Why the saddle: a
 * faint lesion whose region at the detection threshold touched a higher peak's was drawn at that peak's
 * half maximum or outline, and lost (docs/loss-fusion.md, "Lesions lost to a join").
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
    const draw = (v: number) => {
      if (out[v] === c || !ruled.has(out[v])) out[v] = c;
    };
    const order = descendingOrder(p, rule.detect);
    const tree = new ComponentTree(p, size, rule.outline, order.length, (voxels) => voxels.forEach(draw));
    for (const v of order) tree.add(v);
    for (const v of order) if (tree.inFaintLesion(v)) draw(v);
  }
  return out;
}

/** One case's detection counts at each threshold of a sweep (detectionSweep). */
export interface DetectionSweep {
  /**
   * False positives at each threshold: without a rule, and at t >= outline, the components (26-connected)
   * of p >= t that hold no lesion voxel; with a rule below its outline, the objects it draws that label
   * no lesion voxel: components of p >= outline, and faint lesions (each one object, whatever pieces its
   * half-maximum region falls into). Arg-max voxels below the outline are not counted.
   */
  falsePositives: Int32Array;
  /** Lesions the two-threshold rule finds with t as its detection threshold; null without a rule. Entries at t >= outline count the drawn labels only. */
  found: Int32Array | null;
}

/**
 * One case's detection counts at every threshold of `detects` (descending) in one pass, without
 * labelling the components once per threshold:
 * - false positives (DetectionSweep.falsePositives; `lesions` are the ground truth's 26-connected
 *   components of the class), for every threshold;
 * - with `rule`, how many lesions the two-threshold rule finds with t as its detection threshold: what
 *   addFaintLesions followed by an any-overlap count gives, threshold by threshold (the same
 *   ComponentTree, fed the same voxels in the same order). `rule.drawn` holds the labels before the
 *   faint lesions (labelsAt at the outline threshold: an arg-max voxel of class `rule.cls` or
 *   p >= outline), which find a lesion at every threshold. A lesion not drawn is found at t when a voxel
 *   of it lies in a faint lesion's half-maximum region at t. Its region can grow into a confident one
 *   as t falls (found at one threshold, lost at a lower one), so the counts need not be monotone.
 * Entries at t >= outline count the drawn labels only.
 */
export function detectionSweep(
  p: Float32Array,
  size: readonly [number, number, number],
  lesions: { labels: Int32Array; count: number },
  detects: readonly number[],
  rule?: { drawn: Uint8Array; cls: number; outline: number },
): DetectionSweep {
  const falsePositives = new Int32Array(detects.length);
  const found = rule ? new Int32Array(detects.length) : null;
  // Lesions found at every threshold from here on: drawn, or in a faint lesion's region when it joined a confident one.
  const kept = new Uint8Array(lesions.count + 1);
  const members: number[] = [];
  for (let v = 0; v < p.length; v++) {
    const l = lesions.labels[v];
    if (!l) continue;
    members.push(v);
    if (rule && rule.drawn[v] === rule.cls) kept[l] = 1;
  }
  const outline = rule?.outline ?? Number.POSITIVE_INFINITY;
  const order = descendingOrder(p, detects.length ? detects[detects.length - 1] : Number.POSITIVE_INFINITY);
  const tree = new ComponentTree(
    p,
    size,
    outline,
    order.length,
    (voxels) => {
      for (const v of voxels) if (lesions.labels[v]) kept[lesions.labels[v]] = 1;
    },
    lesions.labels,
  );
  const hit = new Uint8Array(lesions.count + 1);
  // The components of p >= outline that hold no lesion: the outline's own false positives below it.
  let outlineFalse: number | null = null;
  const close = (level: number) => {
    falsePositives[level] = rule && detects[level] < outline ? (outlineFalse ?? tree.components - tree.touching) + tree.branchFalse + tree.faintFalse : tree.components - tree.touching;
    if (!found) return;
    hit.set(kept);
    for (const v of members) {
      const l = lesions.labels[v];
      if (!hit[l] && tree.inFaintLesion(v)) hit[l] = 1;
    }
    let count = 0;
    for (let l = 1; l <= lesions.count; l++) count += hit[l];
    found[level] = count;
  };
  let level = 0;
  for (const v of order) {
    while (level < detects.length && p[v] < detects[level]) close(level++);
    if (outlineFalse === null && p[v] < outline) outlineFalse = tree.components - tree.touching;
    tree.add(v);
  }
  while (level < detects.length) close(level++);
  return { falsePositives, found };
}
