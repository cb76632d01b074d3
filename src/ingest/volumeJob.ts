import path from 'node:path';
import { buildVolume, streamInt16Slices } from '../data/volume.js';
import { dtypeOf, VolumeStreamWriter, writeVolume } from '../data/volumeCache.js';
import type { SeriesPlan } from '../dicom/series.js';

export interface VolumeJob {
  cacheDir: string;
  name: string;
}

export type VolumeJobResult = { ok: true; volumePath: string; dtype: string; min: number; max: number } | { ok: false; failures: { path: string; reason: string }[] };

/**
 * The usual CT series (16-bit, integral rescale, every grid slice acquired once) streamed to the cache
 * slice by slice; null when the series needs the whole-volume path.
 */
function streamToCache(plan: SeriesPlan, job: VolumeJob): VolumeJobResult | null {
  const writer = new VolumeStreamWriter(path.resolve(job.cacheDir), job.name, 'image', plan.geometry, 'int16');
  try {
    const streamed = streamInt16Slices(plan, (_k, slice) => writer.append(new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength)));
    if (!streamed || streamed.failures.length) {
      writer.abort();
      return streamed ? { ok: false, failures: streamed.failures } : null;
    }
    return { ok: true, volumePath: writer.finish([streamed.min, streamed.max]), dtype: 'int16', min: streamed.min, max: streamed.max };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Decodes a series and writes it to the volume cache; undecodable files are returned, nothing is written. */
export function buildAndCacheVolume(plan: SeriesPlan, job: VolumeJob): VolumeJobResult {
  const streamed = streamToCache(plan, job);
  if (streamed) return streamed;
  const volume = buildVolume(plan);
  if (volume.failures.length) return { ok: false, failures: volume.failures };
  const volumePath = writeVolume(path.resolve(job.cacheDir), job.name, 'image', plan.geometry, volume.data, [volume.min, volume.max]);
  return { ok: true, volumePath, dtype: dtypeOf(volume.data), min: volume.min, max: volume.max };
}
