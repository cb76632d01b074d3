import { apply, invert, lpsToRasAffine, multiply, voxelToLps, type Mat4, type VolumeGeometry } from './geometry.js';
import type { NiftiImage } from '../nifti/nifti.js';

export class LabelMismatchError extends Error {
  override name = 'LabelMismatchError';
}

/** Label voxels may sit this far (in label voxels) from series voxel centres: float32 affines in NIfTI headers. */
const CENTRE_TOLERANCE = 0.05;

/**
 * Maps a NIfTI label map onto a series' voxel grid through both affines (NIfTI RAS vs. DICOM LPS), which
 * covers axis flips and permutations (e.g. a label written by dcm2niix, which flips rows, or stored
 * sagittally). The grids must coincide: same spacing along each series axis and the label covering the
 * series' extent; otherwise the error says by how much.
 */
export function alignLabelToSeries(label: NiftiImage, series: VolumeGeometry): Uint8Array {
  const seriesToRas = lpsToRasAffine(voxelToLps(series));
  const m: Mat4 = multiply(invert(label.affine), seriesToRas);
  const labelSpacing = [0, 1, 2].map((c) => Math.hypot(label.affine[0][c], label.affine[1][c], label.affine[2][c]));
  for (let axis = 0; axis < 3; axis++) {
    const step = Math.hypot(m[0][axis], m[1][axis], m[2][axis]);
    if (Math.abs(step - 1) > 0.01) {
      throw new LabelMismatchError(
        `label spacing ${labelSpacing.map((s) => s.toFixed(3)).join('x')} mm does not match series spacing ${series.spacing.map((s) => s.toFixed(3)).join('x')} mm ` +
          `(series axis ${axis}: one series voxel spans ${step.toFixed(3)} label voxels, off by ${(Math.abs(step - 1) * series.spacing[axis]).toFixed(3)} mm)`,
      );
    }
  }
  const [nx, ny, nz] = series.size;
  const [lx, ly, lz] = label.dims;
  const corners = [0, nx - 1].flatMap((i) => [0, ny - 1].flatMap((j) => [0, nz - 1].map((k) => apply(m, [i, j, k]))));
  const outside = [0, 1, 2].map((a) => {
    const dim = label.dims[a];
    const lo = Math.min(...corners.map((c) => c[a]));
    const hi = Math.max(...corners.map((c) => c[a]));
    return Math.max(0, -0.5 - lo, hi - (dim - 0.5));
  });
  if (outside.some((o) => o > CENTRE_TOLERANCE)) {
    const mm = outside.map((o, a) => (o * labelSpacing[a]).toFixed(2));
    throw new LabelMismatchError(`label extent ${label.dims.join('x')} voxels does not cover the series grid ${series.size.join('x')}: ` + `series reaches ${mm.join(', ')} mm beyond the label along its i, j, k axes`);
  }
  const out = new Uint8Array(nx * ny * nz);
  let v = 0;
  let offGrid = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const x = m[0][0] * i + m[0][1] * j + m[0][2] * k + m[0][3];
        const y = m[1][0] * i + m[1][1] * j + m[1][2] * k + m[1][3];
        const z = m[2][0] * i + m[2][1] * j + m[2][2] * k + m[2][3];
        const ri = Math.round(x);
        const rj = Math.round(y);
        const rk = Math.round(z);
        if (Math.abs(x - ri) > CENTRE_TOLERANCE || Math.abs(y - rj) > CENTRE_TOLERANCE || Math.abs(z - rk) > CENTRE_TOLERANCE) offGrid++;
        const value = label.data[Math.min(lx - 1, Math.max(0, ri)) + lx * (Math.min(ly - 1, Math.max(0, rj)) + ly * Math.min(lz - 1, Math.max(0, rk)))];
        if (!Number.isInteger(value) || value < 0 || value > 255) {
          throw new LabelMismatchError(`label value ${value} is not an integer class index in 0..255`);
        }
        out[v] = value;
      }
    }
  }
  if (offGrid > 0) {
    const shift = [0, 1, 2].map((a) => (m[a][3] - Math.round(m[a][3])) * labelSpacing[a]);
    throw new LabelMismatchError(`label grid is shifted against the series grid by ${shift.map((s) => s.toFixed(2)).join(', ')} mm (${offGrid} voxel centres off-grid)`);
  }
  return out;
}
