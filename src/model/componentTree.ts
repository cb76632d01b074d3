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
 * FAINT_OUTLINE_FRACTION of its own peak, it was a faint lesion of its own: `onFaintBranch` receives
 * its voxels (those added before the join) and peak, once. Joined at a higher saddle it is a shoulder of
 * the higher peak, not a lesion: nothing is reported.
 * With `lesions` (a ground-truth component label per voxel, 0 outside), it also counts, as voxels are
 * added, components and those that touch a lesion, and the faint lesions that would label no lesion
 * voxel (false positives of the faint-lesion rule): components peaking below the outline with no lesion
 * voxel at half their peak or above (`faintFalse`), and faint lesions reported at a join with none in
 * theirs (`branchFalse`).
 */
export class ComponentTree {
  private readonly parent: Int32Array;
  private readonly next: Int32Array;
  private readonly tail: Int32Array;
  private readonly touches: Uint8Array;
  /** Per root, the highest p of a lesion voxel in its component (-1: none). */
  private readonly lesionTop: Float32Array;
  /** Components so far, and how many of them hold a voxel of a lesion. */
  components = 0;
  touching = 0;
  /** Faint components now, and faint lesions reported at a join, whose half-maximum region holds no lesion voxel. */
  faintFalse = 0;
  branchFalse = 0;

  constructor(
    private readonly p: Float32Array,
    private readonly size: readonly [number, number, number],
    private readonly outline: number,
    private readonly onFaintBranch: (voxels: number[], peak: number) => void,
    private readonly lesions?: Int32Array,
  ) {
    this.parent = new Int32Array(p.length).fill(-1);
    this.next = new Int32Array(p.length).fill(-1);
    this.tail = new Int32Array(p.length);
    this.touches = new Uint8Array(lesions ? p.length : 0);
    this.lesionTop = new Float32Array(lesions ? p.length : 0);
  }

  /** Root r's component peaks below the outline and labels no lesion voxel at half its peak. */
  private falseFaint(r: number): boolean {
    return this.lesions !== undefined && this.p[r] < this.outline && this.lesionTop[r] < FAINT_OUTLINE_FRACTION * this.p[r];
  }

  /** Whether voxel v has been added. */
  has(v: number): boolean {
    return this.parent[v] >= 0;
  }

  /** The peak of voxel v's component (v added). */
  peakOf(v: number): number {
    return this.p[this.root(v)];
  }

  /** Adds voxel v (no voxel of higher p may be missing) and joins it to its added neighbours. */
  add(v: number): void {
    const [nx, ny, nz] = this.size;
    const plane = nx * ny;
    this.parent[v] = v;
    this.tail[v] = v;
    this.components++;
    if (this.lesions) {
      this.touches[v] = this.lesions[v] ? 1 : 0;
      this.touching += this.touches[v];
      this.lesionTop[v] = this.lesions[v] ? this.p[v] : -1;
      if (this.falseFaint(v)) this.faintFalse++;
    }
    const k = Math.floor(v / plane);
    const j = Math.floor((v - k * plane) / nx);
    const i = v - k * plane - j * nx;
    const parent = this.parent;
    // v's root as it joins one neighbour's component after another (a join returns the merged root).
    let rv = v;
    for (let kk = Math.max(0, k - 1); kk <= Math.min(nz - 1, k + 1); kk++)
      for (let jj = Math.max(0, j - 1); jj <= Math.min(ny - 1, j + 1); jj++)
        for (let ii = Math.max(0, i - 1); ii <= Math.min(nx - 1, i + 1); ii++) {
          const u = ii + nx * jj + plane * kk;
          if (parent[u] < 0 || u === v) continue;
          const ru = this.root(u);
          if (ru !== rv) rv = this.join(ru, rv, this.p[v]);
        }
  }

  private root(v: number): number {
    const parent = this.parent;
    let r = v;
    while (parent[r] !== r) {
      parent[r] = parent[parent[r]];
      r = parent[r];
    }
    return r;
  }

  /** Merges the components of roots x and y, joined at p = `saddle`; returns the merged root (the higher peak). */
  private join(x: number, y: number, saddle: number): number {
    const p = this.p;
    const xFirst = p[x] > p[y] || (p[x] === p[y] && x < y);
    const ra = xFirst ? x : y;
    const rb = xFirst ? y : x;
    const falseBefore = this.lesions ? Number(this.falseFaint(ra)) + Number(this.falseFaint(rb)) : 0;
    if (p[rb] < this.outline && saddle <= FAINT_OUTLINE_FRACTION * p[rb]) {
      const voxels: number[] = [];
      for (let v = rb; v >= 0; v = this.next[v]) voxels.push(v);
      this.onFaintBranch(voxels, p[rb]);
      if (this.falseFaint(rb)) this.branchFalse++;
    }
    this.parent[rb] = ra;
    this.next[this.tail[ra]] = rb;
    this.tail[ra] = this.tail[rb];
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
