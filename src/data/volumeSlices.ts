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
