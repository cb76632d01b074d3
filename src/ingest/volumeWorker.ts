import { parentPort } from 'node:worker_threads';
import { initCodecs } from '../dicom/codecs.js';
import type { SeriesPlan } from '../dicom/series.js';
import { buildAndCacheVolume, type VolumeJob } from './volumeJob.js';

/** Worker thread entry: builds and caches one series volume per message. */
await initCodecs();
parentPort!.on('message', (msg: { id: number; plan: SeriesPlan; job: VolumeJob }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: buildAndCacheVolume(msg.plan, msg.job) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
