import { ComponentTree, descendingOrder } from './componentTree.js';

/**
 * IoU a candidate (a 26-connected component of p >= t) must reach with a lesion to find it: the FROC's
 * localisation criterion. Any overlap would let one low-threshold component spread over the organ
 * "find" every lesion it touches as a single object (measured: checkpoints of an early epoch read 1.0
 * of the lesions at 0.125 false positives per case that way); 0.1 asks the candidate to be about the
 * lesion's place and size. nnDetection scores detections at IoU 0.1 (Baumgartner et al. 2021, MICCAI),
 * and the RibFrac challenge matches segmentation components to lesions by IoU for its FROC.
 */
export const LOCALISATION_IOU = 0.1;

/**
 * One case's FROC counts at every threshold of `detects` (descending) in one pass: the components of
 * p >= t are grown voxel by voxel in descending order of p (ComponentTree, no faint-lesion rule), and at
 * each threshold a lesion (`lesions`: the ground truth's 26-connected components) is found when some
 * component's IoU with it, |L ∩ C| / |L ∪ C|, reaches LOCALISATION_IOU; a component that reaches it
 * with no lesion is a false positive. Overlaps are counted from the lesions' own voxels at each
 * threshold, so the cost beyond the sweep is the lesion voxels times the thresholds.
 */
export function localisedSweep(p: Float32Array, size: readonly [number, number, number], lesions: { labels: Int32Array; count: number }, detects: readonly number[]): { found: Int32Array; falsePositives: Int32Array } {
  const found = new Int32Array(detects.length);
  const falsePositives = new Int32Array(detects.length);
  const lesionSize = new Int32Array(lesions.count + 1);
  const members: number[] = [];
  for (let v = 0; v < p.length; v++) {
    const l = lesions.labels[v];
    if (!l) continue;
    lesionSize[l]++;
    members.push(v);
  }
  const order = descendingOrder(p, detects.length ? detects[detects.length - 1] : Number.POSITIVE_INFINITY);
  // An outline of 0: no component is faint, so the tree reports no faint lesion.
  const tree = new ComponentTree(p, size, 0, order.length, () => undefined);
  const stride = order.length + 1;
  const close = (level: number) => {
    const overlap = new Map<number, number>();
    for (const v of members) {
      const r = tree.rootOf(v);
      if (r < 0) continue;
      const key = lesions.labels[v] * stride + r;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
    const hit = new Set<number>();
    const matched = new Set<number>();
    for (const [key, n] of overlap) {
      const l = Math.floor(key / stride);
      const r = key - l * stride;
      if (n / (lesionSize[l] + tree.sizeOf(r) - n) >= LOCALISATION_IOU) {
        hit.add(l);
        matched.add(r);
      }
    }
    found[level] = hit.size;
    falsePositives[level] = tree.components - matched.size;
  };
  let level = 0;
  for (const v of order) {
    while (level < detects.length && p[v] < detects[level]) close(level++);
    tree.add(v);
  }
  while (level < detects.length) close(level++);
  return { found, falsePositives };
}
