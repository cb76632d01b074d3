import fs from 'node:fs';
import { DicomError, failureReason } from '../dicom/errors.js';
import { LIMITS } from '../dicom/limits.js';
import { readInstanceHeader, rescaleOf, type InstanceHeader } from '../dicom/header.js';
import { applyModalityLut, monochrome1Mirror } from '../dicom/modalityLut.js';
import { parseDicom, type ParsedDicom } from '../dicom/parse.js';
import { decodeFrameBytes, decodePixels, LITTLE_ENDIAN_HOST, type StoredValues } from '../dicom/pixels.js';
import type { SeriesPlan } from '../dicom/series.js';
import type { VolumeData } from './volumeCache.js';

export interface BuiltVolume {
  data: VolumeData;
  min: number;
  max: number;
  /** Files whose pixels could not be decoded; their slices are left out. */
  failures: { path: string; reason: string }[];
}

/** Luma of interleaved RGB (ITU-R BT.601), or the Y sample of YBR: training uses grayscale. */
function toGray(values: Float32Array, samples: number, photometric: string): Float32Array {
  if (samples === 1) return values;
  const out = new Float32Array(values.length / 3);
  const ybr = photometric.startsWith('YBR');
  for (let p = 0; p < out.length; p++) {
    out[p] = ybr ? values[p * 3] : 0.299 * values[p * 3] + 0.587 * values[p * 3 + 1] + 0.114 * values[p * 3 + 2];
  }
  return out;
}

/** Modality LUT of one grayscale frame into the volume, returning its [min, max] (one monomorphic pass). */
function lutInto(stored: StoredValues, slope: number, intercept: number, target: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i] * slope + intercept;
    target[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * 16-bit grayscale frame -> HU straight into an int16 volume, in one integer pass: BitsStored mask, sign
 * extension and an integral modality LUT. min/max are taken on stored values (cheaper than on outputs)
 * and mapped through the LUT, so the caller can tell whether any value overflowed int16.
 */
function storedToInt16(bytes: Uint8Array, bitsStored: number, signed: boolean, [slope, intercept]: [number, number], target: Int16Array): [number, number] {
  const words = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, target.length) : new Uint16Array(bytes.slice(0, target.length * 2).buffer);
  const mask = (2 ** bitsStored - 1) | 0;
  const shift = 32 - bitsStored;
  const len = target.length;
  if (len === 0) return [intercept, intercept];
  // Separate monomorphic loops: the sign extension and the rescale slope (1 in almost every CT) are
  // decided once, not per voxel; min/max start at the first value so one comparison often suffices.
  let lo = signed ? ((words[0] & mask) << shift) >> shift : words[0] & mask;
  let hi = lo;
  if (signed && slope === 1) {
    for (let i = 0; i < len; i++) {
      const w = ((words[i] & mask) << shift) >> shift;
      target[i] = w + intercept;
      if (w < lo) lo = w;
      else if (w > hi) hi = w;
    }
  } else if (slope === 1) {
    for (let i = 0; i < len; i++) {
      const w = words[i] & mask;
      target[i] = w + intercept;
      if (w < lo) lo = w;
      else if (w > hi) hi = w;
    }
  } else {
    for (let i = 0; i < len; i++) {
      const w = signed ? ((words[i] & mask) << shift) >> shift : words[i] & mask;
      target[i] = Math.imul(w, slope) + intercept;
      if (w < lo) lo = w;
      else if (w > hi) hi = w;
    }
  }
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return [Math.min(a, b), Math.max(a, b)];
}

/**
 * The common CT case (16-bit grayscale, integral rescale, HU within int16) without intermediate arrays.
 * Returns null as soon as a file does not qualify or a value does not fit; the generic path then runs.
 */
function buildInt16(plan: SeriesPlan): BuiltVolume | null {
  if (!LITTLE_ENDIAN_HOST) return null;
  const [nx, ny, nz] = plan.geometry.size;
  const pixels = nx * ny;
  const out = new Int16Array(pixels * nz);
  const failures: BuiltVolume['failures'] = [];
  let min = Infinity;
  let max = -Infinity;
  const completed = visitFiles(plan, failures, (parsed, h, file, targets) => {
    if (!int16Eligible(h)) return false;
    const { frames } = decodeFrameBytes(parsed.dataSet, h, file);
    for (const { frame, k } of targets) {
      const [lo, hi] = storedToInt16(frames[frame], h.bitsStored, h.pixelRepresentation === 1, rescaleOf(h, frame), out.subarray(k * pixels, (k + 1) * pixels));
      if (lo < -32768 || hi > 32767) return false;
      if (lo < min) min = lo;
      if (hi > max) max = hi;
    }
    return true;
  });
  if (!completed) return null;
  return failures.length ? { data: new Int16Array(0), min: 0, max: 0, failures } : { data: out, min, max, failures };
}

/** 16-bit grayscale with an integral modality LUT: the files storedToInt16 can take. */
function int16Eligible(h: InstanceHeader): boolean {
  const integral = ([slope, intercept]: [number, number]) => Number.isInteger(slope) && Number.isInteger(intercept) && Math.abs(slope) < 2 ** 15 && Math.abs(intercept) < 2 ** 30;
  return h.samplesPerPixel === 1 && h.bitsAllocated === 16 && integral([h.rescaleSlope, h.rescaleIntercept]) && (h.frameRescale ?? []).every(integral) && !monochrome1Mirror(h);
}

export interface StreamedSlices {
  min: number;
  max: number;
  /** Files whose pixels could not be decoded; no slice was handed over after the first one. */
  failures: BuiltVolume['failures'];
}

/**
 * buildInt16 slice by slice, in grid order, for writing a volume without holding it: each slice is
 * decoded into one reused buffer and handed to `onSlice` (valid until the next call). Only for plans
 * whose grid slices are each acquired exactly once (no gap to interpolate); returns null when the plan
 * or a file does not qualify, or a value does not fit int16, and the caller takes buildVolume instead.
 */
export function streamInt16Slices(plan: SeriesPlan, onSlice: (k: number, slice: Int16Array) => void): StreamedSlices | null {
  const [nx, ny, nz] = plan.geometry.size;
  const ordered = [...plan.slices].sort((a, b) => a.index - b.index);
  if (!LITTLE_ENDIAN_HOST || ordered.length !== nz || ordered.some((sl, k) => sl.index !== k)) return null;
  const slice = new Int16Array(nx * ny);
  const failures: BuiltVolume['failures'] = [];
  let min = Infinity;
  let max = -Infinity;
  // Consecutive slices of one multi-frame file share its parse.
  let current = null as { file: string; h: InstanceHeader; frames: Uint8Array[] } | null;
  for (const { path: file, frame, index: k } of ordered) {
    if (current?.file !== file) {
      current = null;
      try {
        const parsed = parseDicom(readReused(file), file);
        const h = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
        if (!int16Eligible(h)) return null;
        current = { file, h, frames: decodeFrameBytes(parsed.dataSet, h, file).frames };
      } catch (err) {
        if (!failures.some((f) => f.path === file)) failures.push({ path: file, reason: failureReason(file, err) });
        continue;
      }
    }
    const { h, frames } = current;
    const [lo, hi] = storedToInt16(frames[frame], h.bitsStored, h.pixelRepresentation === 1, rescaleOf(h, frame), slice);
    if (lo < -32768 || hi > 32767) return null;
    if (lo < min) min = lo;
    if (hi > max) max = hi;
    if (!failures.length) onSlice(k, slice);
  }
  return { min, max, failures };
}

type SliceTarget = { frame: number; k: number };

let scratch = Buffer.allocUnsafe(0);

/**
 * Reads a whole file into one buffer reused from file to file: a series is hundreds of files read one
 * after another, and a fresh buffer each (readFileSync) costs allocation and garbage collection. Valid
 * until the next call: callers copy what they keep (pixels go into the volume at once).
 */
function readReused(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.ceil(size * 1.25));
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, scratch, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return scratch.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads and parses each file of a plan once and hands it to `visit` with the volume slices its frames
 * fill. A file that cannot be read or decoded is recorded in `failures` and the others go on; `visit`
 * returns false to stop early, and then so does this function.
 */
function visitFiles(plan: SeriesPlan, failures: BuiltVolume['failures'], visit: (parsed: ParsedDicom, h: InstanceHeader, file: string, targets: SliceTarget[]) => boolean): boolean {
  const byFile = new Map<string, SliceTarget[]>();
  for (const s of plan.slices) byFile.set(s.path, [...(byFile.get(s.path) ?? []), { frame: s.frame, k: s.index }]);
  for (const [file, targets] of byFile) {
    try {
      const parsed = parseDicom(readReused(file), file);
      if (!visit(parsed, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), file, targets)) return false;
    } catch (err) {
      failures.push({ path: file, reason: failureReason(file, err) });
    }
  }
  return true;
}

/**
 * Decodes every slice of a planned series into one volume (i fastest, then j, then slice), after the
 * modality LUT: int16 when the LUT is integral and every value fits (the usual CT case), else float32.
 */
export function buildVolume(plan: SeriesPlan): BuiltVolume {
  const built = buildInt16(plan) ?? buildGeneric(plan);
  if (!built.failures.length) fillMissingSlices(built.data, plan);
  return built;
}

/**
 * Grid slices with no acquired slice (see planSeries) get the linear interpolation of their nearest
 * acquired neighbours, rounded for integer volumes; the series warning says so.
 */
function fillMissingSlices(data: VolumeData, plan: SeriesPlan): void {
  const [nx, ny, nz] = plan.geometry.size;
  const pixels = nx * ny;
  const present = new Array<boolean>(nz).fill(false);
  for (const s of plan.slices) present[s.index] = true;
  const round = data instanceof Float32Array ? (v: number) => v : Math.round;
  for (let k = 0; k < nz; k++) {
    if (present[k]) continue;
    let a = k - 1;
    while (!present[a]) a--;
    let b = k + 1;
    while (!present[b]) b++;
    const wb = (k - a) / (b - a);
    for (let p = 0; p < pixels; p++) data[k * pixels + p] = round(data[a * pixels + p] * (1 - wb) + data[b * pixels + p] * wb);
  }
}

/** Values past LIMITS.maxAbsRescaled (or NaN, or infinite) mean a broken modality LUT, not an image. */
function checkRescaled(lo: number, hi: number, [slope, intercept]: [number, number], file: string): void {
  const limit = LIMITS.maxAbsRescaled;
  if (!(lo >= -limit && hi <= limit)) {
    throw new DicomError(`${file}: RescaleSlope (0028,1053) ${slope} and RescaleIntercept (0028,1052) ${intercept} give values from ${lo} to ${hi}, beyond +-${limit}`, 'inconsistent');
  }
}

/**
 * Generic path for any pixel format (colour, float rescale, MONOCHROME1, other bit depths): the LUT,
 * mirroring and min/max go straight into a float32 volume, converted to int16 at the end when every
 * value is an integer in range.
 */
function buildGeneric(plan: SeriesPlan): BuiltVolume {
  const [nx, ny, nz] = plan.geometry.size;
  const pixels = nx * ny;
  const failures: BuiltVolume['failures'] = [];
  const out = new Float32Array(pixels * nz);
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  visitFiles(plan, failures, (parsed, h, file, targets) => {
    const decoded = decodePixels(parsed.dataSet, h, file);
    const perFrame = pixels * decoded.samplesPerPixel;
    const mirror = monochrome1Mirror(h);
    const gray = decoded.samplesPerPixel === 1;
    for (const { frame, k } of targets) {
      const lut = rescaleOf(h, frame);
      if (!Number.isInteger(lut[0]) || !Number.isInteger(lut[1]) || !gray) integral = false;
      const stored = decoded.values.subarray(frame * perFrame, (frame + 1) * perFrame);
      const target = out.subarray(k * pixels, (k + 1) * pixels);
      if (gray && !mirror) {
        const range = lutInto(stored, lut[0], lut[1], target);
        checkRescaled(range[0], range[1], lut, file);
        if (range[0] < min) min = range[0];
        if (range[1] > max) max = range[1];
        continue;
      }
      if (gray) lutInto(stored, lut[0], lut[1], target);
      else target.set(toGray(applyModalityLut(stored, lut[0], lut[1]), decoded.samplesPerPixel, decoded.photometric));
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < pixels; i++) {
        const v = mirror ? mirror(target[i]) : target[i];
        target[i] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      checkRescaled(lo, hi, lut, file);
      min = Math.min(min, lo);
      max = Math.max(max, hi);
    }
    return true;
  });
  if (failures.length) return { data: new Float32Array(0), min: 0, max: 0, failures };
  if (integral && min >= -32768 && max <= 32767) {
    const data = new Int16Array(out.length);
    for (let i = 0; i < out.length; i++) data[i] = out[i];
    return { data, min, max, failures };
  }
  return { data: out, min, max, failures };
}
