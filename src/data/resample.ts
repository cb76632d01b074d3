import type { VolumeGeometry } from './geometry.js';

type Voxels = ArrayLike<number>;

/**
 * In-plane size of a grid resampled to `target` spacing [x, y] mm: the physical extent is kept, so the
 * number of pixels is rounded and the actual spacing differs slightly from the target (see
 * resampledGeometry, which records the exact one).
 */
export function resampledSize(g: VolumeGeometry, target: readonly [number, number]): [number, number, number] {
  return [Math.max(1, Math.round((g.size[0] * g.spacing[0]) / target[0])), Math.max(1, Math.round((g.size[1] * g.spacing[1]) / target[1])), g.size[2]];
}

/**
 * Geometry of the resampled grid. Voxel edges of the first and last pixels coincide with the source's
 * (extent-aligned, as scipy's zoom with grid_mode), so a centre moves by half the change of spacing.
 */
export function resampledGeometry(g: VolumeGeometry, size: readonly [number, number, number]): VolumeGeometry {
  const spacing: [number, number, number] = [(g.spacing[0] * g.size[0]) / size[0], (g.spacing[1] * g.size[1]) / size[1], g.spacing[2]];
  const shift = [0.5 * (spacing[0] - g.spacing[0]), 0.5 * (spacing[1] - g.spacing[1])];
  const origin = [0, 1, 2].map((r) => g.origin[r] + shift[0] * g.axes[0][r] + shift[1] * g.axes[1][r]) as [number, number, number];
  return { size: [size[0], size[1], size[2]], spacing, origin, axes: g.axes };
}

/** Source coordinate of each target pixel centre along one axis (extent-aligned). */
function coordinates(from: number, to: number): Float64Array {
  const c = new Float64Array(to);
  const ratio = from / to;
  for (let i = 0; i < to; i++) c[i] = Math.min(from - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
  return c;
}

/**
 * Resamples every slice of a volume (i fastest, then j, then k) from `size` to `newSize` in-plane:
 * bilinear for intensities and probabilities, nearest neighbour for label maps (interpolating labels
 * would invent classes between two others). Slices are kept: the model is 2D.
 */
export function resampleInPlane(data: Voxels, size: readonly [number, number, number], newSize: readonly [number, number], mode: 'linear'): Float32Array;
export function resampleInPlane(data: Voxels, size: readonly [number, number, number], newSize: readonly [number, number], mode: 'nearest'): Uint8Array;
export function resampleInPlane(data: Voxels, size: readonly [number, number, number], newSize: readonly [number, number], mode: 'linear' | 'nearest'): Float32Array | Uint8Array {
  const [nx, ny, nz] = size;
  const [mx, my] = newSize;
  const out = mode === 'linear' ? new Float32Array(mx * my * nz) : new Uint8Array(mx * my * nz);
  const cx = coordinates(nx, mx);
  const cy = coordinates(ny, my);
  for (let k = 0; k < nz; k++) {
    const src = k * nx * ny;
    const dst = k * mx * my;
    for (let j = 0; j < my; j++) {
      const y = cy[j];
      const y0 = Math.floor(y);
      const y1 = Math.min(ny - 1, y0 + 1);
      const fy = y - y0;
      for (let i = 0; i < mx; i++) {
        const x = cx[i];
        if (mode === 'nearest') {
          out[dst + j * mx + i] = data[src + Math.round(y) * nx + Math.round(x)];
          continue;
        }
        const x0 = Math.floor(x);
        const x1 = Math.min(nx - 1, x0 + 1);
        const fx = x - x0;
        const a = data[src + y0 * nx + x0] * (1 - fx) + data[src + y0 * nx + x1] * fx;
        const b = data[src + y1 * nx + x0] * (1 - fx) + data[src + y1 * nx + x1] * fx;
        out[dst + j * mx + i] = a * (1 - fy) + b * fy;
      }
    }
  }
  return out;
}
