import zlib from 'node:zlib';
import { LIMITS } from '../dicom/limits.js';
import * as niftiReader from 'nifti-reader-js';
import type { Mat4 } from '../data/geometry.js';

export type NiftiData = Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array | Float64Array | Int8Array | Uint32Array;

export interface NiftiImage {
  /** Voxel counts along i, j, k (3D only; a 4th dimension of size 1 is accepted). */
  dims: [number, number, number];
  pixdim: [number, number, number];
  /** Voxel index -> RAS millimetres, chosen as nibabel does: sform, else qform, else pixdim only. */
  affine: Mat4;
  data: NiftiData;
}

export class NiftiError extends Error {
  override name = 'NiftiError';
}

const DATATYPES: Record<number, { name: string; make: (b: ArrayBuffer) => NiftiData }> = {
  2: { name: 'uint8', make: (b) => new Uint8Array(b) },
  4: { name: 'int16', make: (b) => new Int16Array(b) },
  8: { name: 'int32', make: (b) => new Int32Array(b) },
  16: { name: 'float32', make: (b) => new Float32Array(b) },
  64: { name: 'float64', make: (b) => new Float64Array(b) },
  256: { name: 'int8', make: (b) => new Int8Array(b) },
  512: { name: 'uint16', make: (b) => new Uint16Array(b) },
  768: { name: 'uint32', make: (b) => new Uint32Array(b) },
};

function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function gunzip(bytes: Uint8Array, source: string, o: { headerOnly?: boolean; maxBytes?: number }): Uint8Array {
  try {
    if (o.headerOnly) return zlib.gunzipSync(bytes.subarray(0, 64 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return zlib.gunzipSync(bytes, { maxOutputLength: o.maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new NiftiError(`${source}: gzip stream inflates beyond the ${o.maxBytes} bytes its header's dimensions need`);
    }
    throw new NiftiError(`${source}: gzip stream is corrupt (${(err as Error).message})`);
  }
}

function readHeaderOf(raw: Uint8Array, source: string) {
  const ab = toArrayBuffer(raw.subarray(0, Math.min(raw.length, 1024)));
  if (!niftiReader.isNIFTI(ab)) throw new NiftiError(`${source}: not a NIfTI-1/2 file (bad magic or header size)`);
  const h = niftiReader.readHeader(ab);
  if (!h) throw new NiftiError(`${source}: NIfTI header cannot be read`);
  return h;
}

/** Reads a NIfTI-1/2 file (.nii or .nii.gz); its dimensions are bounded by LIMITS.maxVolumeVoxels. */
export function readNifti(file: Uint8Array, source = 'NIfTI file'): NiftiImage {
  const gzipped = file.length > 2 && file[0] === 0x1f && file[1] === 0x8b;
  // The header is read first (from the start of the stream when gzipped), so the data's size is known
  // and bounded before the whole file is inflated: a small .nii.gz cannot inflate without limit.
  let raw = gzipped ? gunzip(file, source, { headerOnly: true }) : file;
  const h = readHeaderOf(raw, source);
  const voxels = h.dims[1] * h.dims[2] * h.dims[3];
  if (!(voxels > 0) || voxels > LIMITS.maxVolumeVoxels) {
    throw new NiftiError(`${source}: dims ${h.dims.slice(1, 4).join('x')} give ${voxels} voxels, beyond the limit of ${LIMITS.maxVolumeVoxels}`);
  }
  if (gzipped) raw = gunzip(file, source, { maxBytes: Math.ceil(h.vox_offset) + voxels * Math.max(1, h.numBitsPerVoxel / 8) + 1024 * 1024 });
  const nd = h.dims[0];
  if (nd < 3 || h.dims.slice(4, nd + 1).some((d) => d !== 1)) {
    throw new NiftiError(`${source}: expected a 3D volume, got dims ${JSON.stringify(h.dims.slice(1, nd + 1))}`);
  }
  const dtype = DATATYPES[h.datatypeCode];
  if (!dtype) throw new NiftiError(`${source}: unsupported NIfTI datatype code ${h.datatypeCode}`);
  const dims: [number, number, number] = [h.dims[1], h.dims[2], h.dims[3]];
  const n = dims[0] * dims[1] * dims[2];
  const bytesPer = h.numBitsPerVoxel / 8;
  const offset = Math.ceil(h.vox_offset);
  if (raw.length < offset + n * bytesPer) {
    throw new NiftiError(`${source}: truncated: needs ${offset + n * bytesPer} bytes for ${dims.join('x')} ${dtype.name}, has ${raw.length}`);
  }
  let body: Uint8Array = new Uint8Array(raw.buffer, raw.byteOffset + offset, n * bytesPer).slice();
  if (!h.littleEndian && bytesPer > 1) body = swapBytes(body, bytesPer);
  let data = dtype.make(body.buffer as ArrayBuffer);
  if (h.scl_slope && (h.scl_slope !== 1 || h.scl_inter !== 0)) {
    const scaled = new Float32Array(n);
    for (let i = 0; i < n; i++) scaled[i] = data[i] * h.scl_slope + h.scl_inter;
    data = scaled;
  }
  const pixdim: [number, number, number] = [Math.abs(h.pixDims[1]), Math.abs(h.pixDims[2]), Math.abs(h.pixDims[3])];
  let affine: Mat4;
  if (h.sform_code > 0) affine = h.affine.map((row) => [...row]);
  else if (h.qform_code > 0) affine = h.getQformMat().map((row) => [...row]);
  else
    affine = [
      [pixdim[0], 0, 0, 0],
      [0, pixdim[1], 0, 0],
      [0, 0, pixdim[2], 0],
      [0, 0, 0, 1],
    ];
  return { dims, pixdim, affine, data };
}

function swapBytes(buf: Uint8Array, width: number): Uint8Array {
  for (let i = 0; i < buf.length; i += width) {
    for (let a = 0, b = width - 1; a < b; a++, b--) {
      const t = buf[i + a];
      buf[i + a] = buf[i + b];
      buf[i + b] = t;
    }
  }
  return buf;
}

function datatypeOf(data: NiftiData): { code: number; bitpix: number } {
  if (data instanceof Uint8Array) return { code: 2, bitpix: 8 };
  if (data instanceof Int8Array) return { code: 256, bitpix: 8 };
  if (data instanceof Int16Array) return { code: 4, bitpix: 16 };
  if (data instanceof Uint16Array) return { code: 512, bitpix: 16 };
  if (data instanceof Int32Array) return { code: 8, bitpix: 32 };
  if (data instanceof Uint32Array) return { code: 768, bitpix: 32 };
  if (data instanceof Float32Array) return { code: 16, bitpix: 32 };
  return { code: 64, bitpix: 64 };
}

/** Quaternion form of the rotation part of an affine (nifti1_io's nifti_mat44_to_quatern). */
function toQuatern(affine: Mat4, pixdim: [number, number, number]) {
  const cols = [0, 1, 2].map((c) => [affine[0][c], affine[1][c], affine[2][c]].map((v) => v / pixdim[c]));
  const [r11, r21, r31] = cols[0];
  const [r12, r22, r32] = cols[1];
  let [r13, r23, r33] = cols[2];
  const det = r11 * (r22 * r33 - r32 * r23) - r12 * (r21 * r33 - r31 * r23) + r13 * (r21 * r32 - r31 * r22);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    r13 = -r13;
    r23 = -r23;
    r33 = -r33;
  }
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/**
 * Writes a NIfTI-1 single file with the same affine as both qform and sform (code 1, scanner),
 * as dcm2niix does, so that every reader agrees on the geometry.
 */
export function writeNifti(img: { dims: [number, number, number]; affine: Mat4; data: NiftiData }, gzip: boolean): Buffer {
  const { code, bitpix } = datatypeOf(img.data);
  const pixdim = [0, 1, 2].map((c) => Math.hypot(img.affine[0][c], img.affine[1][c], img.affine[2][c])) as [number, number, number];
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  h.writeInt16LE(3, 40);
  h.writeInt16LE(img.dims[0], 42);
  h.writeInt16LE(img.dims[1], 44);
  h.writeInt16LE(img.dims[2], 46);
  for (let i = 4; i < 8; i++) h.writeInt16LE(1, 40 + i * 2);
  h.writeInt16LE(code, 70);
  h.writeInt16LE(bitpix, 72);
  const q = toQuatern(img.affine, pixdim);
  h.writeFloatLE(q.qfac, 76);
  h.writeFloatLE(pixdim[0], 80);
  h.writeFloatLE(pixdim[1], 84);
  h.writeFloatLE(pixdim[2], 88);
  h.writeFloatLE(352, 108);
  h.writeFloatLE(1, 112);
  h.writeFloatLE(0, 116);
  h.writeUInt8(2 | 8, 123); // xyzt_units: mm, s
  h.writeInt16LE(1, 252);
  h.writeInt16LE(1, 254);
  h.writeFloatLE(q.b, 256);
  h.writeFloatLE(q.c, 260);
  h.writeFloatLE(q.d, 264);
  h.writeFloatLE(img.affine[0][3], 268);
  h.writeFloatLE(img.affine[1][3], 272);
  h.writeFloatLE(img.affine[2][3], 276);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.writeFloatLE(img.affine[r][c], 280 + r * 16 + c * 4);
  h.write('n+1\0', 344, 'latin1');
  const body = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const file = Buffer.concat([h, body]);
  return gzip ? zlib.gzipSync(file, { level: 6 }) : file;
}
