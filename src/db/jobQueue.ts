import PgBoss from 'pg-boss';
import { z } from 'zod';
import { logger } from '../util/logger.js';
import type { Db } from './client.js';

/**
 * The job queue of a PostgreSQL catalogue: pg-boss in the same database (its own schema, `pgboss`).
 * pg-boss was chosen over graphile-worker because it has what a lab's queue needs without extra code:
 * per-job priorities, retry limits with a delay and exponential backoff, an expiry on active jobs, and
 * cancellation, all through its public API; graphile-worker's lock timeout is fixed (4 hours) and its
 * current releases need Node 22. pg-boss 10 is the last major that runs on Node 20.
 *
 * The Job table stays the catalogue's record of every job (status, who ran it, its result, what the
 * dashboard lists); pg-boss decides who runs what and when. The pg-boss job has the Job row's id.
 * With SQLite there is no pg-boss: workers claim rows of the Job table (db/jobs.ts).
 */

/** Jobs that require tags go to a queue per tag set: a worker fetches from every subset of its own tags. */
const QUEUE_PREFIX = 'segfusion';
/** At most this many tags per worker or job: a worker polls 2^tags queues. */
export const MAX_TAGS = 4;
export const TAG_PATTERN = /^[a-z0-9][a-z0-9-]{0,19}$/;

export class JobTagError extends Error {
  override name = 'JobTagError';
}

/** Checks and sorts a tag list (lower-case letters, digits and '-', at most MAX_TAGS, no repeats). */
export function normalizeTags(tags: readonly string[]): string[] {
  const out = [...new Set(tags.map((t) => t.trim()).filter(Boolean))].sort();
  for (const t of out) if (!TAG_PATTERN.test(t)) throw new JobTagError(`tag "${t}" must be 1-20 lower-case letters, digits or '-', starting with a letter or digit`);
  if (out.length > MAX_TAGS) throw new JobTagError(`at most ${MAX_TAGS} tags, got ${out.length} (${out.join(', ')})`);
  return out;
}

/** A tags column (Job.tags, Worker.tags: a JSON string[]) as a list. */
export const parseTags = (json: string): string[] => z.array(z.string()).parse(JSON.parse(json));

export const queueName = (tags: readonly string[]): string => [QUEUE_PREFIX, ...normalizeTags(tags)].join('.');

/** The queues a worker with these tags takes jobs from: every subset, the most specific first. */
export function queuesFor(tags: readonly string[]): string[] {
  const t = normalizeTags(tags);
  const subsets: string[][] = [];
  for (let mask = 0; mask < 1 << t.length; mask++) subsets.push(t.filter((_, i) => mask & (1 << i)));
  return subsets.sort((a, b) => b.length - a.length || a.join().localeCompare(b.join())).map(queueName);
}

/**
 * Retry policies. An ingest that fails (a share not mounted yet, a PACS that timed out) is retried three
 * times with pg-boss's jittered exponential backoff: after 15-30 s, 30-60 s, then 60-120 s. A training
 * job is retried only when its worker is lost or stopped (workers.ts, trainingJobs.ts); its own errors
 * are not retried, since they repeat (a bad config, a NaN loss) and the run is resumable.
 */
const RETRY = {
  ingest: { retryLimit: 3, retryDelay: 15, retryBackoff: true },
  train: { retryLimit: 5, retryDelay: 1, retryBackoff: false },
} as const;

/**
 * pg-boss's own expiry, the backstop behind the worker lease (workers.ts): an active job whose worker
 * neither finished nor was declared lost is failed (and retried) after this long. pg-boss caps it below
 * 24 hours.
 */
const EXPIRE_SECONDS = 23 * 3600;

const bosses = new WeakMap<Db, Promise<PgBoss>>();
const created = new WeakMap<PgBoss, Set<string>>();
const urls = new WeakMap<Db, string>();

/** Called by openDb for a PostgreSQL catalogue; pg-boss itself starts on first use. */
export function registerQueueDatabase(db: Db, databaseUrl: string): void {
  urls.set(db, databaseUrl);
}

export const hasQueue = (db: Db): boolean => urls.has(db);

/**
 * The pg-boss instance of a catalogue: started once per client, with a small pool of its own. Its
 * maintenance (expiring, archiving) runs in every process that uses it; pg-boss takes a lock so that one
 * of them does it at a time.
 */
export function bossOf(db: Db): Promise<PgBoss> {
  const url = urls.get(db);
  if (!url) throw new Error('the job queue needs a PostgreSQL catalogue');
  let boss = bosses.get(db);
  if (!boss) {
    boss = (async () => {
      const b = new PgBoss({ connectionString: url, max: 3, schedule: false, supervise: true, maintenanceIntervalSeconds: 30 });
      b.on('error', (err) => logger.warn({ err }, 'job queue error'));
      await b.start();
      created.set(b, new Set());
      return b;
    })();
    bosses.set(db, boss);
  }
  return boss;
}

async function ensureQueue(boss: PgBoss, name: string): Promise<void> {
  const known = created.get(boss);
  if (known?.has(name)) return;
  await boss.createQueue(name, { name, policy: 'standard' });
  known?.add(name);
}

/** Puts a Job row's id on the queue of its tags. */
export async function sendJob(db: Db, j: { id: string; kind: 'train' | 'ingest'; priority: number; tags: string[] }): Promise<void> {
  const boss = await bossOf(db);
  const name = queueName(j.tags);
  await ensureQueue(boss, name);
  await boss.send(name, { jobId: j.id }, { id: j.id, priority: j.priority, expireInSeconds: EXPIRE_SECONDS, ...RETRY[j.kind] });
}

/** The next job for a worker with these tags (highest priority first within a queue), or null. */
export async function fetchJob(db: Db, tags: readonly string[]): Promise<{ id: string; queue: string } | null> {
  const boss = await bossOf(db);
  for (const name of queuesFor(tags)) {
    await ensureQueue(boss, name);
    const [job] = await boss.fetch<{ jobId: string }>(name, { batchSize: 1, priority: true });
    if (job) return { id: job.id, queue: name };
  }
  return null;
}

/** Completes a fetched job (whatever the job's own outcome: pg-boss retries only what `failQueued` fails). */
export async function completeQueued(db: Db, queue: string, id: string): Promise<void> {
  await (await bossOf(db)).complete(queue, id);
}

/**
 * Fails a fetched job; pg-boss puts it back (state "retry", after its delay) while retries are left.
 * Returns whether it will run again.
 */
export async function failQueued(db: Db, queue: string, id: string, message: string): Promise<boolean> {
  const boss = await bossOf(db);
  await boss.fail(queue, id, { message });
  const job = await boss.getJobById(queue, id);
  return job?.state === 'retry' || job?.state === 'created';
}

/** Removes a queued job from the queue (a cancel before any worker took it). */
export async function cancelQueued(db: Db, tags: readonly string[], id: string): Promise<void> {
  await (await bossOf(db)).cancel(queueName(tags), id);
}

/** Stops the catalogue's pg-boss instance, if one was started (closeDb calls it). */
export async function stopQueue(db: Db): Promise<void> {
  const boss = bosses.get(db);
  bosses.delete(db);
  if (boss) await (await boss).stop({ graceful: false, wait: true });
}
