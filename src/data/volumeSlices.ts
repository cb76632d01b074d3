import fs from 'node:fs';
import type { VolumeGeometry } from './geometry.js';
import { readVolumeHeader, type VolumeData, type VolumeDtype } from './volumeCache.js';

/** Read access to a volume one slice at a time (i fastest within a slice). */
export interface VolumeSlices<T extends VolumeData> {
  readonly geometry: VolumeGeometry;
  slice(k: number): T;
}

/** Slices of an array already in memory (tests, small volumes). */
export class MemorySlices<T extends VolumeData> implements VolumeSlices<T> {
  constructor(
    private readonly data: T,
    readonly geometry: VolumeGeometry,
  ) {}

  slice(k: number): T {
    const plane = this.geometry.size[0] * this.geometry.size[1];
    return this.data.subarray(k * plane, (k + 1) * plane) as T;
  }
}

/**
 * Slices read on demand from a cached volume's raw file, keeping the most recently used `capacity`
 * slices. Training holds only these and the sampled class locations, not whole volumes: a cohort of
 * hundreds of CT series does not fit in memory as float32.
 */
export class FileSlices<T extends VolumeData> implements VolumeSlices<T> {
  readonly geometry: VolumeGeometry;
  private readonly file: string;
  private readonly dtype: VolumeDtype;
  private readonly bytesPerVoxel: number;
  private readonly lru = new Map<number, T>();

  constructor(
    headerPath: string,
    private readonly capacity = 48,
  ) {
    const header = readVolumeHeader(headerPath);
    this.geometry = header.geometry;
    this.dtype = header.dtype;
    this.bytesPerVoxel = { float32: 4, int16: 2, uint8: 1 }[header.dtype];
    this.file = headerPath.replace(/\.json$/, '.raw');
  }

  slice(k: number): T {
    if (!Number.isInteger(k) || k < 0 || k >= this.geometry.size[2]) throw new RangeError(`slice ${k} is outside 0..${this.geometry.size[2] - 1}`);
    const hit = this.lru.get(k);
    if (hit) {
      this.lru.delete(k);
      this.lru.set(k, hit);
      return hit;
    }
    const plane = this.geometry.size[0] * this.geometry.size[1];
    const bytes = Buffer.alloc(plane * this.bytesPerVoxel);
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.readSync(fd, bytes, 0, bytes.length, k * bytes.length);
    } finally {
      fs.closeSync(fd);
    }
    const copy = new Uint8Array(bytes).buffer;
    const slice = (this.dtype === 'float32' ? new Float32Array(copy) : this.dtype === 'int16' ? new Int16Array(copy) : new Uint8Array(copy)) as T;
    this.lru.set(k, slice);
    if (this.lru.size > this.capacity) this.lru.delete(this.lru.keys().next().value as number);
    return slice;
  }
}

export type Plane = 'axial' | 'coronal' | 'sagittal';

/** Slices of a plane (along k, j or i) and the pixel spacing [across, down] of its images. */
export function planeLayout(g: VolumeGeometry, plane: Plane): { width: number; height: number; count: number; spacing: [number, number] } {
  const [nx, ny, nz] = g.size;
  const [sx, sy, sz] = g.spacing;
  if (plane === 'axial') return { width: nx, height: ny, count: nz, spacing: [sx, sy] };
  if (plane === 'coronal') return { width: nx, height: nz, count: ny, spacing: [sx, sz] };
  return { width: ny, height: nz, count: nx, spacing: [sy, sz] };
}

/**
 * One image of a cached volume in any of the grid's three planes, read with positional reads of only
 * the bytes it needs: axial = slice k; coronal = row j of every slice; sagittal = column i of every
 * slice. Reformatted planes put the last slice at the top (slices run along the grid's third axis,
 * which for an axial series points head-wards), as radiology viewers show them.
 */
export function readPlane<T extends VolumeData>(headerPath: string, plane: Plane, index: number): T {
  const header = readVolumeHeader(headerPath);
  const g = header.geometry;
  const [nx, ny, nz] = g.size;
  const { width, height, count } = planeLayout(g, plane);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`${plane} slice ${index} is outside 0..${count - 1}`);
  const bpv = { float32: 4, int16: 2, uint8: 1 }[header.dtype];
  const out = Buffer.alloc(width * height * bpv);
  const fd = fs.openSync(headerPath.replace(/\.json$/, '.raw'), 'r');
  try {
    if (plane === 'axial') fs.readSync(fd, out, 0, out.length, index * nx * ny * bpv);
    else if (plane === 'coronal') {
      for (let k = 0; k < nz; k++) fs.readSync(fd, out, (nz - 1 - k) * nx * bpv, nx * bpv, (k * ny + index) * nx * bpv);
    } else {
      // A column is strided: read the slice's rows once and pick voxel i of each.
      const slice = Buffer.alloc(nx * ny * bpv);
      for (let k = 0; k < nz; k++) {
        fs.readSync(fd, slice, 0, slice.length, k * slice.length);
        for (let j = 0; j < ny; j++) slice.copy(out, ((nz - 1 - k) * ny + j) * bpv, (j * nx + index) * bpv, (j * nx + index + 1) * bpv);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  const copy = new Uint8Array(out).buffer;
  return (header.dtype === 'float32' ? new Float32Array(copy) : header.dtype === 'int16' ? new Int16Array(copy) : new Uint8Array(copy)) as T;
}
