import fs from 'node:fs';
import { DicomError } from '../dicom/errors.js';
import { readInstanceHeader } from '../dicom/header.js';
import { applyModalityLut, monochrome1Mirror } from '../dicom/modalityLut.js';
import { parseDicom } from '../dicom/parse.js';
import { decodePixels } from '../dicom/pixels.js';
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

/**
 * Decodes every slice of a planned series into one volume (i fastest, then j, then slice), after the
 * modality LUT. Stored as int16 when every value is an integer in range (the usual CT case), else float32.
 */
export function buildVolume(plan: SeriesPlan): BuiltVolume {
  const [nx, ny] = plan.geometry.size;
  const pixels = nx * ny;
  const failures: BuiltVolume['failures'] = [];
  const frames = new Map<string, { gray: Float32Array[] } | null>();
  const slices: Float32Array[] = [];
  for (const slice of plan.slices) {
    let entry = frames.get(slice.path);
    if (entry === undefined) {
      try {
        const parsed = parseDicom(fs.readFileSync(slice.path), slice.path);
        const h = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
        const decoded = decodePixels(parsed.dataSet, h, slice.path);
        const perFrame = pixels * decoded.samplesPerPixel;
        const mirror = monochrome1Mirror(h);
        const gray = [...Array(decoded.frames).keys()].map((f) => {
          const modality = applyModalityLut(decoded.values.subarray(f * perFrame, (f + 1) * perFrame), h.rescaleSlope, h.rescaleIntercept);
          const g = toGray(modality, decoded.samplesPerPixel, decoded.photometric);
          if (mirror) for (let i = 0; i < g.length; i++) g[i] = mirror(g[i]);
          return g;
        });
        entry = { gray };
      } catch (err) {
        failures.push({ path: slice.path, reason: err instanceof DicomError ? err.message : `${slice.path}: ${(err as Error).message}` });
        entry = null;
      }
      frames.set(slice.path, entry);
    }
    if (entry) slices.push(entry.gray[slice.frame]);
  }
  if (failures.length) return { data: new Float32Array(0), min: 0, max: 0, failures };
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  const out = new Float32Array(pixels * slices.length);
  slices.forEach((s, k) => {
    out.set(s, k * pixels);
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v < min) min = v;
      if (v > max) max = v;
      if (integral && !Number.isInteger(v)) integral = false;
    }
  });
  const data = integral && min >= -32768 && max <= 32767 ? Int16Array.from(out) : out;
  return { data, min, max, failures };
}
