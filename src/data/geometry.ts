import { z } from 'zod';

/**
 * Voxel grid of a volume in DICOM patient coordinates (LPS, mm). Voxel (i, j, k) — i along a row
 * (column index), j down the columns (row index), k across slices — sits at
 * origin + i*spacing[0]*axes[0] + j*spacing[1]*axes[1] + k*spacing[2]*axes[2].
 */
export const VolumeGeometrySchema = z.object({
  size: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  origin: z.tuple([z.number(), z.number(), z.number()]),
  /** Unit direction of each voxel axis in LPS: [rowDir, colDir, sliceDir]. */
  axes: z.tuple([z.tuple([z.number(), z.number(), z.number()]), z.tuple([z.number(), z.number(), z.number()]), z.tuple([z.number(), z.number(), z.number()])]),
});
export type VolumeGeometry = z.infer<typeof VolumeGeometrySchema>;

export type Vec3 = [number, number, number];
/** Row-major 4x4 matrix. */
export type Mat4 = number[][];

export const dot = (a: readonly number[], b: readonly number[]): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const norm = (a: readonly number[]): number => Math.hypot(a[0], a[1], a[2]);
export const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

/** Voxel index -> LPS millimetres. */
export function voxelToLps(g: VolumeGeometry): Mat4 {
  const m: Mat4 = [
    [0, 0, 0, g.origin[0]],
    [0, 0, 0, g.origin[1]],
    [0, 0, 0, g.origin[2]],
    [0, 0, 0, 1],
  ];
  for (let axis = 0; axis < 3; axis++) {
    for (let r = 0; r < 3; r++) m[r][axis] = g.axes[axis][r] * g.spacing[axis];
  }
  return m;
}

/** NIfTI world space is RAS: x and y of LPS change sign. */
export function lpsToRasAffine(m: Mat4): Mat4 {
  return m.map((row, r) => (r < 2 ? row.map((v) => -v) : [...row]));
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  return a.map((row) => b[0].map((_, c) => row.reduce((s, v, k) => s + v * b[k][c], 0)));
}

export function invert(m: Mat4): Mat4 {
  const a = m.map((row) => [...row]);
  const inv: Mat4 = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-12) throw new Error('affine is singular and cannot be inverted');
    [a[c], a[p]] = [a[p], a[c]];
    [inv[c], inv[p]] = [inv[p], inv[c]];
    const d = a[c][c];
    for (let k = 0; k < 4; k++) {
      a[c][k] /= d;
      inv[c][k] /= d;
    }
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 4; k++) {
        a[r][k] -= f * a[c][k];
        inv[r][k] -= f * inv[c][k];
      }
    }
  }
  return inv;
}

export function apply(m: Mat4, p: readonly number[]): Vec3 {
  return [0, 1, 2].map((r) => m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3]) as Vec3;
}

export function voxelCount(g: VolumeGeometry): number {
  return g.size[0] * g.size[1] * g.size[2];
}
