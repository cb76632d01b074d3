/**
 * Connected components of a binary mask on a 3D grid (i fastest, then j, then k), 26-connectivity:
 * voxels sharing a face, an edge or a corner belong to one component, as scipy.ndimage.label with a
 * 3x3x3 structure of ones. Labels are 1..count in order of each component's first voxel in memory
 * order; 0 is background. An explicit stack (no recursion), so a component of any size is safe.
 */
export function connectedComponents(mask: Uint8Array, size: readonly [number, number, number]): { labels: Int32Array; count: number } {
  const [nx, ny, nz] = size;
  const plane = nx * ny;
  const labels = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    count++;
    labels[start] = count;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const v = stack[--top];
      const k = Math.floor(v / plane);
      const j = Math.floor((v - k * plane) / nx);
      const i = v - k * plane - j * nx;
      for (let dk = -1; dk <= 1; dk++) {
        const kk = k + dk;
        if (kk < 0 || kk >= nz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx) continue;
            const u = ii + nx * jj + plane * kk;
            if (mask[u] && !labels[u]) {
              labels[u] = count;
              stack[top++] = u;
            }
          }
        }
      }
    }
  }
  return { labels, count };
}
