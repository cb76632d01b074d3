import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tempNameFor, writeFileAtomic } from '../util/atomicWrite.js';
import { assertSafeFileName } from '../util/safeName.js';
import { VolumeGeometrySchema, voxelCount, type VolumeGeometry } from './geometry.js';

export const VolumeDtypeSchema = z.enum(['int16', 'float32', 'uint8']);
export type VolumeDtype = z.infer<typeof VolumeDtypeSchema>;
export type VolumeData = Int16Array | Float32Array | Uint8Array;

/** Header stored beside each cached volume (`<name>.json` + raw little-endian `<name>.raw`). */
export const VolumeHeaderSchema = z.object({
  format: z.literal('segfusion-volume'),
  version: z.literal(1),
  kind: z.enum(['image', 'label']),
  dtype: VolumeDtypeSchema,
  geometry: VolumeGeometrySchema,
  /** sha256 of the raw bytes, checked on read so a torn write is never trained on. */
  sha256: z.string(),
  /** Smallest and largest voxel value (absent in caches written before version 0.1 recorded it). */
  range: z.tuple([z.number(), z.number()]).optional(),
});
export type VolumeHeader = z.infer<typeof VolumeHeaderSchema>;

export interface Volume {
  header: VolumeHeader;
  data: VolumeData;
}

export class VolumeCacheError extends Error {
  override name = 'VolumeCacheError';
}

export function dtypeOf(data: VolumeData): VolumeDtype {
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint8Array) return 'uint8';
  return 'float32';
}

function valueRange(data: VolumeData): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return data.length ? [lo, hi] : [0, 0];
}

/**
 * Writes a volume slice by slice, with writeVolume's guarantees: the raw bytes go to a temp file renamed
 * into place only when complete, then the header; an aborted writer leaves nothing. Streaming lets the
 * ingest workers convert, hash and write each slice while it is in cache, instead of filling a whole
 * volume in memory first (which cost them a third of their time on large series).
 */
export class VolumeStreamWriter {
  private readonly raw: string;
  private readonly tmp: string;
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private written = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly kind: 'image' | 'label',
    private readonly geometry: VolumeGeometry,
    private readonly dtype: VolumeDtype,
  ) {
    assertSafeFileName(name);
    fs.mkdirSync(dir, { recursive: true });
    this.raw = path.join(dir, `${name}.raw`);
    this.tmp = tempNameFor(this.raw);
    this.fd = fs.openSync(this.tmp, 'w');
  }

  /** Appends the next voxels (little-endian bytes of the volume's dtype). */
  append(bytes: Uint8Array): void {
    this.hash.update(bytes);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done);
    this.written += bytes.length;
  }

  /** Completes the volume and returns its header path; throws if fewer or more bytes than the grid came. */
  finish(range: [number, number]): string {
    const expected = voxelCount(this.geometry) * BYTES_PER_VOXEL[this.dtype];
    if (this.written !== expected) {
      this.abort();
      throw new VolumeCacheError(`volume ${this.name}: ${this.written} bytes written for a ${this.geometry.size.join('x')} ${this.dtype} grid (${expected} expected)`);
    }
    // Durable before it gets its name: a worker on another host never opens a part-written volume.
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    fs.renameSync(this.tmp, this.raw);
    const header: VolumeHeader = { format: 'segfusion-volume', version: 1, kind: this.kind, dtype: this.dtype, geometry: this.geometry, sha256: this.hash.digest('hex'), range };
    const headerPath = path.join(this.dir, `${this.name}.json`);
    writeFileAtomic(headerPath, JSON.stringify(header, null, 1));
    return headerPath;
  }

  /** Drops the partial data. */
  abort(): void {
    if (!this.closed) fs.closeSync(this.fd);
    this.closed = true;
    fs.rmSync(this.tmp, { force: true });
  }
}

const BYTES_PER_VOXEL: Record<VolumeDtype, number> = { int16: 2, float32: 4, uint8: 1 };

/**
 * Writes a volume atomically (temp file + rename, data before header), so an interrupted ingest never
 * leaves a header pointing at partial data. `range` (min, max) is computed when the caller does not
 * already know it. Returns the header path.
 */
export function writeVolume(dir: string, name: string, kind: 'image' | 'label', geometry: VolumeGeometry, data: VolumeData, range?: [number, number]): string {
  if (data.length !== voxelCount(geometry)) {
    throw new VolumeCacheError(`volume ${name}: ${data.length} voxels for a ${geometry.size.join('x')} grid`);
  }
  const writer = new VolumeStreamWriter(dir, name, kind, geometry, dtypeOf(data));
  try {
    writer.append(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } catch (err) {
    writer.abort();
    throw err;
  }
  return writer.finish(range ?? valueRange(data));
}

export function readVolumeHeader(headerPath: string): VolumeHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(headerPath, 'utf8'));
  } catch (err) {
    throw new VolumeCacheError(`cached volume header ${headerPath} is unreadable: ${(err as Error).message}`);
  }
  const parsed = VolumeHeaderSchema.safeParse(raw);
  if (!parsed.success) throw new VolumeCacheError(`cached volume header ${headerPath} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** Reads a cached volume, its sha256 checked against the header's: a torn or altered file is an error, never data. */
export function readVolume(headerPath: string): Volume {
  const header = readVolumeHeader(headerPath);
  const rawPath = headerPath.replace(/\.json$/, '.raw');
  const bytes = fs.readFileSync(rawPath);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== header.sha256) throw new VolumeCacheError(`cached volume ${rawPath} does not match its checksum; re-run ingest`);
  const copy = new Uint8Array(bytes).buffer;
  const data = header.dtype === 'int16' ? new Int16Array(copy) : header.dtype === 'uint8' ? new Uint8Array(copy) : new Float32Array(copy);
  if (data.length !== voxelCount(header.geometry)) {
    throw new VolumeCacheError(`cached volume ${rawPath} has ${data.length} voxels, header says ${header.geometry.size.join('x')}`);
  }
  return { header, data };
}

/** True when both files exist and the header parses: enough for an idempotent rerun to skip the work. */
export function volumeExists(headerPath: string): boolean {
  try {
    readVolumeHeader(headerPath);
    return fs.existsSync(headerPath.replace(/\.json$/, '.raw'));
  } catch {
    return false;
  }
}
