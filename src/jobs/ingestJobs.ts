import { z } from 'zod';
import type { Db } from '../db/client.js';
import { enqueueJob, finishJob } from '../db/jobs.js';
import { ingest, type IngestPhase, type IngestSummary } from '../ingest/ingest.js';

export const IngestPayloadSchema = z.object({
  dataset: z.string().min(1).max(100),
  paths: z.array(z.string().min(1)).min(1),
  labels: z.string().min(1).optional(),
});
export type IngestPayload = z.infer<typeof IngestPayloadSchema>;

/** Progress of an ingest job, as the dashboard shows it. */
export interface IngestEvent {
  type: 'ingest';
  jobId: string;
  dataset: string;
  phase: IngestPhase;
  done: number;
  total: number;
}

export async function queueIngest(db: Db, payload: IngestPayload) {
  return enqueueJob(db, { kind: 'ingest', payload: IngestPayloadSchema.parse(payload) });
}

/** Runs a claimed ingest job; its summary (counts, rejected files, warnings) becomes the job's result. */
export async function runIngestJob(db: Db, job: { id: string; payload: string }, o: { cacheDir: string; onEvent?: (e: IngestEvent) => void }): Promise<IngestSummary | null> {
  const p = IngestPayloadSchema.parse(JSON.parse(job.payload));
  try {
    const summary = await ingest(db, { dataset: p.dataset, paths: p.paths, labelsDir: p.labels, cacheDir: o.cacheDir, onProgress: (phase, done, total) => o.onEvent?.({ type: 'ingest', jobId: job.id, dataset: p.dataset, phase, done, total }) });
    await finishJob(db, job.id, 'completed', null, summary);
    return summary;
  } catch (err) {
    await finishJob(db, job.id, 'failed', err instanceof Error ? err.message : String(err));
    return null;
  }
}
