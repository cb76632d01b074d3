import type { InstanceHeader } from './header.js';

/**
 * Modality LUT (PS3.3 C.11.1): output = stored * RescaleSlope + RescaleIntercept, e.g. Hounsfield units
 * for CT. Applied in float64 then rounded to float32, so integer HU stay exact.
 */
export function applyModalityLut(stored: ArrayLike<number>, slope: number, intercept: number, out = new Float32Array(stored.length)): Float32Array {
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] * slope + intercept;
  return out;
}

/**
 * MONOCHROME1 means the minimum value is displayed white. Volumes are kept in the MONOCHROME2 sense
 * (larger = brighter) by mirroring values within the modality-LUT range of the stored bit depth.
 * Not applied to CT, whose Hounsfield scale has a fixed meaning whatever the display polarity.
 */
export function monochrome1Mirror(h: InstanceHeader): ((v: number) => number) | null {
  if (h.photometricInterpretation !== 'MONOCHROME1' || h.modality === 'CT') return null;
  const lo = h.pixelRepresentation === 1 ? -(2 ** (h.bitsStored - 1)) : 0;
  const hi = h.pixelRepresentation === 1 ? 2 ** (h.bitsStored - 1) - 1 : 2 ** h.bitsStored - 1;
  const a = lo * h.rescaleSlope + h.rescaleIntercept;
  const b = hi * h.rescaleSlope + h.rescaleIntercept;
  return (v) => a + b - v;
}

export interface ValueStats {
  min: number;
  max: number;
  mean: number;
}

export function valueStats(values: ArrayLike<number>): ValueStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: values.length ? sum / values.length : NaN };
}
