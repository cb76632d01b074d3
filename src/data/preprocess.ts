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

/**
 * A case on the plan's grid, cached on disk: normalised float32 intensities and uint8 labels. Only the
 * paths and geometry are held, so a run over hundreds of series does not keep their voxels in memory.
 */
export interface PreprocessedCase {
  seriesInstanceUid: string;
  patientId: string;
  geometry: VolumeGeometry;
  /** The series' own grid, to map predictions back. */
  sourceGeometry: VolumeGeometry;
  imagePath: string;
  labelPath: string | null;
  /** Smallest normalised intensity: what lies outside the image when patches or slices are padded. */
  padValue: number;
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
  const labelPath = labelHeader ? path.join(dir, `${key}-label.json`) : null;
  const base = { seriesInstanceUid: ref.seriesInstanceUid, patientId: ref.patientId, sourceGeometry: imageHeader.geometry, imagePath, labelPath };
  if (volumeExists(imagePath) && (!labelPath || volumeExists(labelPath))) {
    const header = readVolumeHeader(imagePath);
    if (header.range) return { ...base, geometry: header.geometry, padValue: header.range[0] };
  }
  const source = readVolume(ref.volumePath);
  const { image, geometry } = preprocessImage(source.data, source.header.geometry, plan);
  if (ref.labelPath && labelPath) {
    const raw = readVolume(ref.labelPath).data as Uint8Array;
    const same = geometry.size[0] === imageHeader.geometry.size[0] && geometry.size[1] === imageHeader.geometry.size[1];
    writeVolume(dir, `${key}-label`, 'label', geometry, same ? raw : resampleInPlane(raw, imageHeader.geometry.size, [geometry.size[0], geometry.size[1]], 'nearest'));
  }
  // The image is written last: its presence means the case is complete.
  writeVolume(dir, `${key}-image`, 'image', geometry, image);
  let padValue = Infinity;
  for (const v of image) if (v < padValue) padValue = v;
  return { ...base, geometry, padValue };
}

/**
 * The preprocessed image (and label, unless `label: false`) of a case, whole: for validation and
 * evaluation, one case at a time.
 * Checksums are verified on every read (about 1 ms per MB): the cache may sit on a share that another
 * host writes.
 */
export function loadPreprocessed(c: PreprocessedCase, o: { label?: boolean } = {}): { image: Float32Array; label: Uint8Array | null } {
  return { image: readVolume(c.imagePath).data as Float32Array, label: (o.label ?? true) && c.labelPath ? (readVolume(c.labelPath).data as Uint8Array) : null };
}
