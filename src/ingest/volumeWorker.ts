import { parentPort } from 'node:worker_threads';
import { initCodecsFor } from '../dicom/codecs.js';
import type { SeriesPlan } from '../dicom/series.js';
import { buildAndCacheVolume, type VolumeJob } from './volumeJob.js';

/** Worker thread entry: builds and caches one series volume per message (codecs load on first need). */
parentPort!.on('message', async (msg: { plan: SeriesPlan; job: VolumeJob }) => {
  try {
    await initCodecsFor(msg.plan.instances.map((i) => i.header.transferSyntaxUid));
    parentPort!.postMessage({ result: buildAndCacheVolume(msg.plan, msg.job) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
