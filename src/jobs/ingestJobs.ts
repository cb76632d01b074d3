import { z } from 'zod';
import type { Db } from '../db/client.js';
import { enqueueJob, settleJob, type ClaimedJob } from '../db/jobs.js';
import { CohortMismatchError, DEMO_COHORT, EASY, ensureSyntheticCohort, HARD, HARD_COHORT } from '../data/synthetic.js';
import { loadConfig } from '../config.js';
import { ingest, type IngestPhase, type IngestSummary } from '../ingest/ingest.js';
import { ingestFromDicomWeb } from '../ingest/ingestDicomWeb.js';

/** A synthetic demo cohort the job writes into `folder` before ingesting it (the dashboard's demo button). */
export const GenerateSchema = z.strictObject({
  difficulty: z.enum(['easy', 'hard']),
  folder: z.string().min(1),
  patients: z.number().int().min(3).max(200).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});

/** A PACS pull: the job fetches the series into the mirror, then ingests them (credentials come from the config). */
export const PullSchema = z.strictObject({
  server: z.string().min(1),
  url: z.string().min(1),
  study: z.string().min(1).optional(),
  query: z.string().min(1).optional(),
});

export const IngestPayloadSchema = z
  .object({
    dataset: z.string().min(1).max(100),
    paths: z.array(z.string().min(1)),
    labels: z.string().min(1).optional(),
    generate: GenerateSchema.optional(),
    pull: PullSchema.optional(),
  })
  .refine((p) => p.paths.length > 0 || p.pull, { message: 'an ingest needs folders or a PACS pull', path: ['paths'] });
export type IngestPayload = z.infer<typeof IngestPayloadSchema>;

/** Progress of an ingest job, as the dashboard shows it. */
export interface IngestEvent {
  type: 'ingest';
  jobId: string;
  dataset: string;
  phase: IngestPhase | 'generate';
  done: number;
  total: number;
}

export async function queueIngest(db: Db, payload: IngestPayload, o: { priority?: number; tags?: string[] } = {}) {
  return enqueueJob(db, { kind: 'ingest', payload: IngestPayloadSchema.parse(payload), ...o });
}

/**
 * Runs a claimed ingest job; its summary (counts, rejected files, warnings) becomes the job's result. A
 * failed ingest goes back on the queue with backoff while its retries last (PostgreSQL; jobQueue.ts):
 * ingest is idempotent, so a retry finishes what the failed attempt left.
 */
export async function runIngestJob(db: Db, job: ClaimedJob, o: { cacheDir: string; onEvent?: (e: IngestEvent) => void }): Promise<IngestSummary | null> {
  const p = IngestPayloadSchema.parse(job.payload);
  try {
    if (p.generate) writeDemoCohort(p.generate, (done, total) => o.onEvent?.({ type: 'ingest', jobId: job.id, dataset: p.dataset, phase: 'generate', done, total }));
    const base = { dataset: p.dataset, labelsDir: p.labels, cacheDir: o.cacheDir, onProgress: (phase: IngestPhase, done: number, total: number) => o.onEvent?.({ type: 'ingest', jobId: job.id, dataset: p.dataset, phase, done, total }) };
    const pacs = loadConfig().pacs;
    const summary = p.pull
      ? await ingestFromDicomWeb(db, { ...base, url: p.pull.url, selection: p.pull.study ? { study: p.pull.study } : { query: p.pull.query ?? '' }, auth: pacs.auth, mirrorDir: pacs.mirrorDir })
      : await ingest(db, { ...base, paths: p.paths });
    await settleJob(db, job, 'completed', { result: summary });
    return summary;
  } catch (err) {
    // A folder holding another cohort stays so on every attempt: fail at once, with the differences named.
    await settleJob(db, job, 'failed', { error: err instanceof Error ? err.message : String(err), retry: !(err instanceof CohortMismatchError) });
    return null;
  }
}

/** Writes the easy or hard demo cohort into the folder, unless the same one is complete there (ensureSyntheticCohort). */
function writeDemoCohort(g: z.infer<typeof GenerateSchema>, onCase: (done: number, total: number) => void): void {
  const base = g.difficulty === 'hard' ? HARD_COHORT : DEMO_COHORT;
  ensureSyntheticCohort({ ...base, out: g.folder, patients: g.patients ?? base.patients, seed: g.seed ?? base.seed, difficulty: g.difficulty === 'hard' ? HARD : EASY }, { hint: 'choose another folder for it', onCase });
}
