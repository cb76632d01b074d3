import path from 'node:path';
import { buildVolume } from '../data/volume.js';
import { dtypeOf, writeVolume } from '../data/volumeCache.js';
import type { SeriesPlan } from '../dicom/series.js';

export interface VolumeJob {
  cacheDir: string;
  name: string;
}

export type VolumeJobResult =
  | { ok: true; volumePath: string; dtype: string; min: number; max: number }
  | { ok: false; failures: { path: string; reason: string }[] };

/** Decodes a series and writes it to the volume cache; undecodable files are returned, nothing is written. */
export function buildAndCacheVolume(plan: SeriesPlan, job: VolumeJob): VolumeJobResult {
  const volume = buildVolume(plan);
  if (volume.failures.length) return { ok: false, failures: volume.failures };
  const volumePath = writeVolume(path.resolve(job.cacheDir), job.name, 'image', plan.geometry, volume.data, [volume.min, volume.max]);
  return { ok: true, volumePath, dtype: dtypeOf(volume.data), min: volume.min, max: volume.max };
}
