/**
 * Exact squared Euclidean distance transform in millimetres on an anisotropic grid (Felzenszwalb &
 * Huttenlocher 2012, separable lower-envelope algorithm): for every voxel, the squared distance to the
 * nearest voxel where `seed` is set. Infinity where there is no seed at all.
 *
 * Layout: i fastest, then j, then k (size [nx, ny, nz]); spacing in mm per axis.
 */
export function squaredDistanceToSeeds(seed: Uint8Array, size: readonly [number, number, number], spacing: readonly [number, number, number]): Float64Array {
  const [nx, ny, nz] = size;
  const d = new Float64Array(nx * ny * nz);
  for (let v = 0; v < d.length; v++) d[v] = seed[v] ? 0 : Infinity;
  const strides = [1, nx, nx * ny];
  const lengths = [nx, ny, nz];
  const maxLen = Math.max(nx, ny, nz);
  const f = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const z = new Float64Array(maxLen + 1);
  for (let axis = 0; axis < 3; axis++) {
    const n = lengths[axis];
    const stride = strides[axis];
    const s2 = spacing[axis] * spacing[axis];
    const others = [0, 1, 2].filter((a) => a !== axis);
    for (let b = 0; b < lengths[others[1]]; b++) {
      for (let a = 0; a < lengths[others[0]]; a++) {
        const base = a * strides[others[0]] + b * strides[others[1]];
        for (let i = 0; i < n; i++) f[i] = d[base + i * stride];
        lowerEnvelope(f, n, s2, v, z, out);
        for (let i = 0; i < n; i++) d[base + i * stride] = out[i];
      }
    }
  }
  return d;
}

/** Where the parabolas rooted at p and q (p < q) intersect. */
function intersection(f: Float64Array, s2: number, p: number, q: number): number {
  return (f[q] + s2 * q * q - (f[p] + s2 * p * p)) / (2 * s2 * (q - p));
}

/** 1D pass: out[q] = min_p (s2 (q - p)² + f[p]), skipping infinite f. */
function lowerEnvelope(f: Float64Array, n: number, s2: number, v: Int32Array, z: Float64Array, out: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // Pop parabolas hidden by the new one; z[0] = -Infinity stops the loop at the first.
    let s = intersection(f, s2, v[k], q);
    while (s <= z[k]) {
      k--;
      s = intersection(f, s2, v[k], q);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) out[q] = Infinity;
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const p = v[j];
    out[q] = s2 * (q - p) * (q - p) + f[p];
  }
}
