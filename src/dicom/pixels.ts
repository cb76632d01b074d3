import zlib from 'node:zlib';
import dicomParser from 'dicom-parser';
import { decodeCompressedFrame, type FrameFormat } from './codecs.js';
import { DicomError, describeThrown } from './errors.js';
import type { InstanceHeader } from './header.js';
import type { DataSet } from './parse.js';
import { LIMITS } from './limits.js';
import { decodeRleFrame } from './rle.js';
import { transferSyntaxInfo, type TransferSyntaxInfo } from './transferSyntax.js';

/** Stored values as decoded: int32, or uint32 for unsigned 32-bit data (beyond int32 above 2^31 - 1). */
export type StoredValues = Int32Array | Uint32Array;

/** Decoded stored values of every frame, before the modality LUT. */
export interface DecodedPixels {
  /** frames x rows x columns x samples, samples interleaved; unsigned 32-bit data need the full uint32 range. */
  values: StoredValues;
  frames: number;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** Photometric interpretation of `values` (a JPEG codec may have converted YBR to RGB). */
  photometric: string;
}

function frameFormat(h: InstanceHeader): FrameFormat {
  return {
    rows: h.rows,
    columns: h.columns,
    bitsAllocated: h.bitsAllocated,
    bitsStored: h.bitsStored,
    samplesPerPixel: h.samplesPerPixel,
    pixelRepresentation: h.pixelRepresentation,
    planarConfiguration: h.planarConfiguration,
    photometricInterpretation: h.photometricInterpretation,
  };
}

/** Why a data set without Pixel Data (7FE0,0010) has no image SegFusion can read: a float parametric map says so. */
export function noPixelData(ds: DataSet, source: string): DicomError {
  const float = ds.elements.x7fe00008 ? 'Float Pixel Data (7FE0,0008)' : ds.elements.x7fe00009 ? 'Double Float Pixel Data (7FE0,0009)' : null;
  return new DicomError(`${source}: ${float ? `${float} (a parametric map) is not supported: SegFusion reads integer Pixel Data (7FE0,0010)` : 'no Pixel Data (7FE0,0010)'}`, 'no-pixel-data');
}

function checkFormat(h: InstanceHeader, source: string): void {
  if (h.rows <= 0 || h.columns <= 0) throw new DicomError(`${source}: Rows/Columns missing or zero (${h.rows}x${h.columns})`, 'malformed');
  if (![1, 8, 16, 32].includes(h.bitsAllocated)) throw new DicomError(`${source}: BitsAllocated ${h.bitsAllocated} is not 1, 8, 16 or 32`, 'malformed');
  if (h.bitsStored < 1 || h.bitsStored > h.bitsAllocated) {
    throw new DicomError(`${source}: BitsStored ${h.bitsStored} is outside 1..BitsAllocated (${h.bitsAllocated})`, 'malformed');
  }
  if (h.samplesPerPixel !== 1 && h.samplesPerPixel !== 3) throw new DicomError(`${source}: SamplesPerPixel ${h.samplesPerPixel} is not 1 or 3`, 'malformed');
  if (h.bitsAllocated === 1 && h.samplesPerPixel !== 1) throw new DicomError(`${source}: BitsAllocated 1 needs SamplesPerPixel 1, not ${h.samplesPerPixel}`, 'malformed');
  const samples = h.rows * h.columns * h.samplesPerPixel * h.frames;
  if (samples > LIMITS.maxSamplesPerFile) {
    throw new DicomError(`${source}: ${h.frames} frame(s) of ${h.rows}x${h.columns}x${h.samplesPerPixel} are ${samples} samples, beyond the limit of ${LIMITS.maxSamplesPerFile} per file`, 'malformed');
  }
}

/**
 * Everything about the Pixel Data element that can be checked before any pixel buffer is allocated:
 * the format, native data of exactly the size Rows x Columns x Samples x Frames says (one pad byte
 * allowed), and encapsulated data with at least one fragment per frame (PS3.5 A.4: a fragment never
 * holds two frames), so NumberOfFrames cannot size anything beyond what the file holds.
 */
function preflight(ds: DataSet, h: InstanceHeader, source: string): TransferSyntaxInfo {
  const el = ds.elements.x7fe00010;
  if (!h.hasPixelData || !el) throw noPixelData(ds, source);
  checkFormat(h, source);
  const ts = transferSyntaxInfo(h.transferSyntaxUid);
  if (!ts) throw new DicomError(`${source}: unsupported transfer syntax ${h.transferSyntaxUid}`, 'unsupported-syntax');
  if (ts.codec === null) {
    const needed = Math.ceil((h.rows * h.columns * nativeSamples(h) * h.bitsAllocated * h.frames) / 8);
    const have = Math.max(0, Math.min(el.length, ds.byteArray.length - el.dataOffset));
    const what = `${h.frames} frame(s) of ${h.rows}x${h.columns}x${nativeSamples(h)} at ${h.bitsAllocated} bits need ${needed}`;
    if (have < needed) throw new DicomError(`${source}: Pixel Data holds ${have} bytes, ${what}`, 'truncated');
    if (el.length > needed + 1) throw new DicomError(`${source}: Pixel Data holds ${el.length} bytes but ${what}: Rows, Columns or NumberOfFrames do not match the data`, 'inconsistent');
  } else {
    const fragments = el.fragments?.length ?? 0;
    if (fragments === 0) throw new DicomError(`${source}: encapsulated Pixel Data has no fragments`, 'no-pixel-data');
    if (fragments < h.frames) throw new DicomError(`${source}: NumberOfFrames (0028,0008) is ${h.frames} but the encapsulated Pixel Data has only ${fragments} fragment(s)`, 'inconsistent');
  }
  return ts;
}

/** Frames of encapsulated pixel data: one fragment per frame, the Basic Offset Table, or JPEG markers. */
function encapsulatedFrames(ds: DataSet, frames: number, source: string): Uint8Array[] {
  const el = ds.elements.x7fe00010;
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new DicomError(`${source}: encapsulated Pixel Data has no fragments`, 'no-pixel-data');
  try {
    if (frames === 1) return [dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length)];
    if (fragments.length === frames) return fragments.map((_, i) => dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, i, 1));
    const table = el.basicOffsetTable && el.basicOffsetTable.length === frames ? el.basicOffsetTable : dicomParser.createJPEGBasicOffsetTable(ds, el);
    return [...Array(frames).keys()].map((i) => dicomParser.readEncapsulatedImageFrame(ds, el, i, table));
  } catch (err) {
    // dicom-parser throws strings naming its own functions; say what is wrong with the file instead.
    throw new DicomError(
      `${source}: encapsulated Pixel Data (7FE0,0010) cannot be split into ${frames} frame(s) from its ${fragments.length} fragment(s) and ${el.basicOffsetTable?.length ?? 0}-entry Basic Offset Table (${describeThrown(err).replace(/^dicomParser\.\w+: /, '')})`,
      'malformed',
    );
  }
}

/** Native YBR_*_422 stores two samples per pixel (Y per pixel, Cb and Cr shared by each pixel pair). */
const subsampledYbr = (h: InstanceHeader): boolean => h.samplesPerPixel === 3 && h.photometricInterpretation.endsWith('_422');

/** Samples per pixel as stored natively: 2 for subsampled YBR, else SamplesPerPixel. */
const nativeSamples = (h: InstanceHeader): number => (subsampledYbr(h) ? 2 : h.samplesPerPixel);

function nativeFrameBytes(ds: DataSet, h: InstanceHeader, ts: TransferSyntaxInfo): Uint8Array[] {
  const el = ds.elements.x7fe00010;
  const pixels = h.rows * h.columns * nativeSamples(h);
  const frameBits = pixels * h.bitsAllocated;
  const needed = Math.ceil((frameBits * h.frames) / 8);
  const all = ds.byteArray.subarray(el.dataOffset, el.dataOffset + needed);
  if (h.bitsAllocated === 1) return [unpackBits(all, pixels * h.frames)];
  const frameBytes = frameBits / 8;
  return [...Array(h.frames).keys()].map((f) => {
    // Little-endian frames are views into the file buffer; big-endian ones are copied before swapping.
    if (!ts.bigEndian || h.bitsAllocated === 8) return all.subarray(f * frameBytes, (f + 1) * frameBytes);
    const bytes = all.slice(f * frameBytes, (f + 1) * frameBytes);
    swapInPlace(bytes, h.bitsAllocated / 8);
    return bytes;
  });
}

/** 1-bit data (binary SEG) is packed little-endian bit order across frame boundaries. */
function unpackBits(packed: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (packed[i >> 3] >> (i & 7)) & 1;
  return out;
}

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = 0, b = width - 1; a < b; a++, b--) {
      const t = bytes[i + a];
      bytes[i + a] = bytes[i + b];
      bytes[i + b] = t;
    }
  }
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Native little-endian bytes -> stored values: BitsStored mask and two's-complement sign extension. */
function toStoredValues(bytes: Uint8Array, bitsAllocated: number, bitsStored: number, signed: boolean, out: StoredValues, offset: number, count: number): void {
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const shift = 32 - bitsStored;
  if (bitsAllocated === 16 && bytes.byteOffset % 2 === 0 && LITTLE_ENDIAN_HOST) {
    // Fast path for the common case: aligned 16-bit samples read through a typed view.
    const words = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    if (signed) for (let i = 0; i < count; i++) out[offset + i] = ((words[i] & mask) << shift) >> shift;
    else for (let i = 0; i < count; i++) out[offset + i] = words[i] & mask;
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    let raw: number;
    if (bitsAllocated === 8 || bitsAllocated === 1) raw = bytes[i];
    else if (bitsAllocated === 16) raw = view.getUint16(i * 2, true);
    else raw = view.getUint32(i * 4, true);
    let v = (raw & mask) >>> 0;
    if (signed) v = (v << shift) >> shift;
    out[offset + i] = v;
  }
}

/** Planar (RRR..GGG..BBB) -> interleaved, and 4:2:2 YBR in native encoding expanded to one YBR triplet per pixel. */
function toInterleaved(values: StoredValues, offset: number, pixels: number, planar: number, photometric: string): void {
  if (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422') {
    const packed = values.slice(offset, offset + pixels * 2);
    for (let q = 0; q < pixels / 2; q++) {
      const [y0, y1, cb, cr] = packed.subarray(q * 4, q * 4 + 4);
      values.set([y0, cb, cr, y1, cb, cr], offset + q * 6);
    }
    return;
  }
  if (planar !== 1) return;
  const copy = values.slice(offset, offset + pixels * 3);
  for (let p = 0; p < pixels; p++) {
    values[offset + p * 3] = copy[p];
    values[offset + p * 3 + 1] = copy[pixels + p];
    values[offset + p * 3 + 2] = copy[2 * pixels + p];
  }
}

/** Native little-endian bytes of every frame (decompressed where needed), before masking and sign extension. */
export interface FrameBytes {
  frames: Uint8Array[];
  /** Photometric interpretation of the bytes (a JPEG codec may have converted YBR to RGB). */
  photometric: string;
  /** Planar configuration of the bytes. */
  planar: number;
}

/**
 * One frame of Deflated Image Frame Compression: its native bytes, raw-deflated (RFC 1951). Inflated
 * to at most the size the header implies (one pad byte allowed), so a bomb stops at that size.
 */
function inflateFrame(frame: Uint8Array, bytes: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = zlib.inflateRawSync(frame, { maxOutputLength: bytes + 1 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new DicomError(`deflated frame inflates beyond the ${bytes} bytes Rows x Columns x BitsAllocated imply`, 'inconsistent');
    throw new DicomError(`deflated frame cannot be inflated: ${(err as Error).message}`, 'decode-failed');
  }
  if (inflated.length < bytes) throw new DicomError(`deflated frame inflates to ${inflated.length} bytes, ${bytes} needed`, 'truncated');
  return new Uint8Array(inflated.buffer, inflated.byteOffset, bytes);
}

/**
 * Decompresses (or, for native syntaxes, slices out) each frame. Codecs must be initialised. 1-bit
 * frames (binary SEG) come back one byte per pixel: RLE and deflated frames hold each frame's bits
 * packed on their own (little-endian bit order, PS3.5 8.1.1), JPEG 2000 codes them as 1-bit samples;
 * the JPEG family cannot hold them. Native 1-bit data is unpacked across frames by nativeFrameBytes.
 */
export function decodeFrameBytes(ds: DataSet, h: InstanceHeader, source: string): FrameBytes {
  const ts = preflight(ds, h, source);
  if (ts.codec === null) return { frames: nativeFrameBytes(ds, h, ts), photometric: h.photometricInterpretation, planar: h.planarConfiguration };
  const oneBit = h.bitsAllocated === 1;
  if (oneBit && (ts.codec === 'jpeg' || ts.codec === 'jpeg-ls')) throw new DicomError(`${source}: BitsAllocated 1 cannot be encoded as ${ts.name} (PS3.5 8.2)`, 'inconsistent');
  const pixels = h.rows * h.columns;
  const samples = pixels * h.samplesPerPixel;
  let photometric = h.photometricInterpretation;
  let planar = h.planarConfiguration;
  const frameBytes = oneBit ? samples : samples * (h.bitsAllocated / 8);
  const storedBytes = oneBit ? Math.ceil(samples / 8) : frameBytes;
  const frames = encapsulatedFrames(ds, h.frames, source).map((frame, f) => {
    if (frameBytes > LIMITS.maxDecodeRatio * frame.length + 2 ** 20) {
      throw new DicomError(
        `${source}: ${h.frames > 1 ? `frame ${f + 1}: ` : ''}a ${frame.length}-byte compressed frame cannot hold ${h.rows}x${h.columns}x${h.samplesPerPixel} pixels (${frameBytes} bytes, beyond ${LIMITS.maxDecodeRatio} times its size): refused as a decompression bomb`,
        'inconsistent',
      );
    }
    try {
      if (ts.codec === 'rle' || ts.codec === 'deflate') {
        planar = ts.codec === 'rle' ? 0 : h.planarConfiguration;
        photometric = h.photometricInterpretation;
        // A packed 1-bit frame is RLE-coded as one segment of bytes.
        const bytes = ts.codec === 'deflate' ? inflateFrame(frame, storedBytes) : oneBit ? decodeRleFrame(frame, storedBytes, 1, 8) : decodeRleFrame(frame, pixels, h.samplesPerPixel, h.bitsAllocated);
        return oneBit ? unpackBits(bytes, samples) : bytes;
      }
      const decoded = decodeCompressedFrame(frame, ts, oneBit ? { ...frameFormat(h), bitsAllocated: 8 } : frameFormat(h));
      photometric = decoded.photometric;
      planar = decoded.planar;
      return decoded.bytes;
    } catch (err) {
      if (err instanceof DicomError) throw new DicomError(`${source}: ${h.frames > 1 ? `frame ${f + 1}: ` : ''}${err.message}`, err.code);
      throw err;
    }
  });
  return { frames, photometric, planar };
}

/** Decodes every frame's stored values for any supported transfer syntax. Codecs must be initialised. */
export function decodePixels(ds: DataSet, h: InstanceHeader, source: string): DecodedPixels {
  const ts = preflight(ds, h, source);
  const pixels = h.rows * h.columns;
  const samples = pixels * h.samplesPerPixel;
  const values = h.bitsAllocated === 32 && h.pixelRepresentation === 0 ? new Uint32Array(samples * h.frames) : new Int32Array(samples * h.frames);
  if (h.bitsAllocated === 1 && ts.codec === null) {
    values.set(nativeFrameBytes(ds, h, ts)[0]);
    return { values, frames: h.frames, rows: h.rows, columns: h.columns, samplesPerPixel: h.samplesPerPixel, photometric: h.photometricInterpretation };
  }
  const decoded = decodeFrameBytes(ds, h, source);
  decoded.frames.forEach((bytes, f) => {
    // Native subsampled YBR holds 2 samples per pixel; toInterleaved expands them to 3 in place.
    const stored = ts.codec === null ? pixels * nativeSamples(h) : samples;
    toStoredValues(bytes, h.bitsAllocated, h.bitsStored, h.pixelRepresentation === 1, values, f * samples, stored);
    if (h.samplesPerPixel === 3) toInterleaved(values, f * samples, pixels, decoded.planar, decoded.photometric);
  });
  const photometric = decoded.photometric.endsWith('_422') ? decoded.photometric.replace('_422', '') : decoded.photometric;
  return { values, frames: h.frames, rows: h.rows, columns: h.columns, samplesPerPixel: h.samplesPerPixel, photometric };
}
