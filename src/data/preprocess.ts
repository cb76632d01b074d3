import crypto from 'node:crypto';
import path from 'node:path';
import type { VolumeGeometry } from './geometry.js';
import { normalizeIntensity, type PreprocessingPlan } from './preprocessPlan.js';
import { resampledGeometry, resampledSize, resampleInPlane } from './resample.js';
import { readVolume, readVolumeHeader, volumeExists, writeVolume } from './volumeCache.js';

/** A series of the catalogue, as training reads it. */
export interface CaseRef {
  seriesInstanceUid: string;
  patientId: string;
  modality: string;
  /** Cached image volume header (modality-LUT values). */
  volumePath: string;
  labelPath: string | null;
}

/** A case on the plan's grid: normalised intensities and labels, ready for patch sampling. */
export interface PreprocessedCase {
  seriesInstanceUid: string;
  patientId: string;
  geometry: VolumeGeometry;
  /** The series' own grid, to map predictions back. */
  sourceGeometry: VolumeGeometry;
  image: Float32Array;
  label: Uint8Array | null;
}

/** Resamples and normalises one image volume as the plan says (training and predict share this). */
export function preprocessImage(values: ArrayLike<number>, geometry: VolumeGeometry, plan: PreprocessingPlan): { image: Float32Array; geometry: VolumeGeometry } {
  const size = resampledSize(geometry, plan.targetSpacing);
  const normalized = normalizeIntensity(values, plan.intensity);
  const same = size[0] === geometry.size[0] && size[1] === geometry.size[1];
  return { image: same ? normalized : resampleInPlane(normalized, geometry.size, [size[0], size[1]], 'linear'), geometry: resampledGeometry(geometry, size) };
}

/**
 * Preprocessed volumes are cached under cacheDir/preprocessed, keyed by the plan's resampling and
 * normalisation and by the checksums of the source volumes, so runs with the same plan reuse them and a
 * re-ingested series is never served stale.
 */
export function preprocessCase(ref: CaseRef, plan: PreprocessingPlan, cacheDir: string): PreprocessedCase {
  const imageHeader = readVolumeHeader(ref.volumePath);
  const labelHeader = ref.labelPath ? readVolumeHeader(ref.labelPath) : null;
  const key = crypto
    .createHash('sha1')
    .update(JSON.stringify({ v: 1, spacing: plan.targetSpacing, intensity: plan.intensity, image: imageHeader.sha256, label: labelHeader?.sha256 ?? null }))
    .digest('hex');
  const dir = path.join(cacheDir, 'preprocessed');
  const imagePath = path.join(dir, `${key}-image.json`);
  const labelPath = path.join(dir, `${key}-label.json`);
  const base = { seriesInstanceUid: ref.seriesInstanceUid, patientId: ref.patientId, sourceGeometry: imageHeader.geometry };
  if (volumeExists(imagePath) && (!labelHeader || volumeExists(labelPath))) {
    const image = readVolume(imagePath);
    return { ...base, geometry: image.header.geometry, image: image.data as Float32Array, label: labelHeader ? (readVolume(labelPath).data as Uint8Array) : null };
  }
  const source = readVolume(ref.volumePath);
  const { image, geometry } = preprocessImage(source.data, source.header.geometry, plan);
  let label: Uint8Array | null = null;
  if (ref.labelPath) {
    const raw = readVolume(ref.labelPath).data as Uint8Array;
    const same = geometry.size[0] === imageHeader.geometry.size[0] && geometry.size[1] === imageHeader.geometry.size[1];
    label = same ? raw : resampleInPlane(raw, imageHeader.geometry.size, [geometry.size[0], geometry.size[1]], 'nearest');
    writeVolume(dir, `${key}-label`, 'label', geometry, label);
  }
  writeVolume(dir, `${key}-image`, 'image', geometry, image);
  return { ...base, geometry, image, label };
}
