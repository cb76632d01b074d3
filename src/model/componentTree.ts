/**
 * Share of a faint lesion's peak probability that outlines it (0.5): its voxels at p >= max(detection
 * threshold, 0.5 x peak), its region at half its maximum. Without it, a lesion found at t = 0.04 would be
 * outlined at 0.04, several voxels wider than the lesion. The same share decides when a faint peak
 * beside a higher one is a lesion of its own: when the two regions join at no more than half the faint
 * peak (ComponentTree).
 */
export const FAINT_OUTLINE_FRACTION = 0.5;

/**
 * The voxels at p >= `lowest` (> 0), in descending order of p, ties in ascending index order, so every
 * caller adds them alike. An LSD radix sort on the float's bits (which order as the values do for p > 0),
 * four stable byte passes: a comparison sort of the 0.3 M voxels of a case took most of a calibration.
 */
export function descendingOrder(p: Float32Array, lowest: number): Int32Array {
  if (!(lowest > 0)) throw new RangeError(`descendingOrder: lowest must be > 0, got ${lowest}`);
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  let n = 0;
  for (let v = 0; v < p.length; v++) if (p[v] >= lowest) n++;
  let order = new Int32Array(n);
  let keys = new Uint32Array(n);
  n = 0;
  for (let v = 0; v < p.length; v++)
    if (p[v] >= lowest) {
      order[n] = v;
      keys[n++] = ~bits[v] >>> 0;
    }
  let spareOrder = new Int32Array(n);
  let spareKeys = new Uint32Array(n);
  const counts = new Int32Array(257);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[((keys[k] >>> shift) & 255) + 1]++;
    for (let d = 0; d < 256; d++) counts[d + 1] += counts[d];
    for (let k = 0; k < n; k++) {
      const at = counts[(keys[k] >>> shift) & 255]++;
      spareOrder[at] = order[k];
      spareKeys[at] = keys[k];
    }
    [order, spareOrder] = [spareOrder, order];
    [keys, spareKeys] = [spareKeys, keys];
  }
  return order;
}

/**
 * The 26-connected components of p >= t as t falls, voxel by voxel in descending order of p (the
 * component tree of p): a union-find whose roots are their component's most probable voxel, so a
 * component's peak is p at its root. When a component peaking below `outline` (faint) joins one of a
 * higher peak, faint or not, at a saddle (the p of the voxel that joins them) of at most
 * FAINT_OUTLINE_FRACTION of its own peak, it was a faint lesion of its own: `onFaintBranch` receives,
 * once, the voxels of its half-maximum region (of those added before the join, the ones at p >=
 * FAINT_OUTLINE_FRACTION x its peak). Joined at a higher saddle it is a shoulder of
 * the higher peak, not a lesion: nothing is reported.
 * With `lesions` (a ground-truth component label per voxel, 0 outside), it also counts, as voxels are
 * added, components and those that touch a lesion, and the faint lesions that would label no lesion
 * voxel (false positives of the faint-lesion rule): components peaking below the outline with no lesion
 * voxel at half their peak or above (`faintFalse`), and faint lesions reported at a join with none in
 * theirs (`branchFalse`).
 */
export class ComponentTree {
  /** Per voxel its slot (the order it was added in), -1 before; everything else is per slot, so a tree of n voxels holds n entries beside the one per voxel. */
  private readonly slot: Int32Array;
  private readonly voxel: Int32Array;
  private readonly parent: Int32Array;
  private readonly next: Int32Array;
  private readonly tail: Int32Array;
  /** Per root, the voxels of its component. */
  private readonly count: Int32Array;
  private readonly touches: Uint8Array;
  /** Per root, the highest p of a lesion voxel in its component (-1: none). */
  private readonly lesionTop: Float32Array;
  private added = 0;
  /** Components so far, and how many of them hold a voxel of a lesion. */
  components = 0;
  touching = 0;
  /** Faint components now, and faint lesions reported at a join, whose half-maximum region holds no lesion voxel. */
  faintFalse = 0;
  branchFalse = 0;

  /** `capacity`: how many voxels will be added at most. */
  constructor(
    private readonly p: Float32Array,
    private readonly size: readonly [number, number, number],
    private readonly outline: number,
    capacity: number,
    private readonly onFaintBranch: (voxels: number[]) => void,
    private readonly lesions?: Int32Array,
  ) {
    this.slot = new Int32Array(p.length).fill(-1);
    this.voxel = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.next = new Int32Array(capacity).fill(-1);
    this.tail = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.touches = new Uint8Array(lesions ? capacity : 0);
    this.lesionTop = new Float32Array(lesions ? capacity : 0);
  }

  /** Whether voxel v is added and in the half-maximum region of a component that peaks below the outline. */
  inFaintLesion(v: number): boolean {
    if (this.slot[v] < 0) return false;
    const peak = this.peak(this.root(this.slot[v]));
    return peak < this.outline && this.p[v] >= FAINT_OUTLINE_FRACTION * peak;
  }

  /** The root (a slot) of voxel v's component, -1 when v is not added: equal roots, one component. */
  rootOf(v: number): number {
    return this.slot[v] < 0 ? -1 : this.root(this.slot[v]);
  }

  /** Voxels in the component of root r (rootOf). */
  sizeOf(r: number): number {
    return this.count[r];
  }

  /** Adds voxel v (no voxel of higher p may be missing) and joins it to its added neighbours. */
  add(v: number): void {
    if (this.added >= this.voxel.length) throw new RangeError(`ComponentTree: more than its capacity of ${this.voxel.length} voxels added`);
    const [nx, ny, nz] = this.size;
    const plane = nx * ny;
    const s = this.added++;
    this.slot[v] = s;
    this.voxel[s] = v;
    this.parent[s] = s;
    this.tail[s] = s;
    this.count[s] = 1;
    this.components++;
    if (this.lesions) {
      this.touches[s] = this.lesions[v] ? 1 : 0;
      this.touching += this.touches[s];
      this.lesionTop[s] = this.lesions[v] ? this.p[v] : -1;
      if (this.falseFaint(s)) this.faintFalse++;
    }
    const k = Math.floor(v / plane);
    const j = Math.floor((v - k * plane) / nx);
    const i = v - k * plane - j * nx;
    const slot = this.slot;
    // v's root as it joins one neighbour's component after another (a join returns the merged root).
    let rv = s;
    for (let kk = Math.max(0, k - 1); kk <= Math.min(nz - 1, k + 1); kk++)
      for (let jj = Math.max(0, j - 1); jj <= Math.min(ny - 1, j + 1); jj++)
        for (let ii = Math.max(0, i - 1); ii <= Math.min(nx - 1, i + 1); ii++) {
          const u = ii + nx * jj + plane * kk;
          if (slot[u] < 0 || u === v) continue;
          const ru = this.root(slot[u]);
          if (ru !== rv) rv = this.join(ru, rv, this.p[v]);
        }
  }

  private peak(root: number): number {
    return this.p[this.voxel[root]];
  }

  /** Root r's component peaks below the outline and labels no lesion voxel at half its peak. */
  private falseFaint(r: number): boolean {
    return this.lesions !== undefined && this.peak(r) < this.outline && this.lesionTop[r] < FAINT_OUTLINE_FRACTION * this.peak(r);
  }

  private root(s: number): number {
    const parent = this.parent;
    let r = s;
    while (parent[r] !== r) {
      parent[r] = parent[parent[r]];
      r = parent[r];
    }
    return r;
  }

  /** Merges the components of roots x and y, joined at p = `saddle`; returns the merged root (the higher peak; of equal peaks, the earlier added). */
  private join(x: number, y: number, saddle: number): number {
    const xFirst = this.peak(x) > this.peak(y) || (this.peak(x) === this.peak(y) && x < y);
    const ra = xFirst ? x : y;
    const rb = xFirst ? y : x;
    const falseBefore = this.lesions ? Number(this.falseFaint(ra)) + Number(this.falseFaint(rb)) : 0;
    const low = this.peak(rb);
    if (low < this.outline && saddle <= FAINT_OUTLINE_FRACTION * low) {
      const voxels: number[] = [];
      for (let s = rb; s >= 0; s = this.next[s]) if (this.p[this.voxel[s]] >= FAINT_OUTLINE_FRACTION * low) voxels.push(this.voxel[s]);
      this.onFaintBranch(voxels);
      if (this.falseFaint(rb)) this.branchFalse++;
    }
    this.parent[rb] = ra;
    this.next[this.tail[ra]] = rb;
    this.tail[ra] = this.tail[rb];
    this.count[ra] += this.count[rb];
    this.components--;
    if (this.lesions) {
      if (this.touches[ra] && this.touches[rb]) this.touching--;
      this.touches[ra] |= this.touches[rb];
      this.lesionTop[ra] = Math.max(this.lesionTop[ra], this.lesionTop[rb]);
      this.faintFalse += Number(this.falseFaint(ra)) - falseBefore;
    }
    return ra;
  }
}
