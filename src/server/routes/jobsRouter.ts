import { Router } from 'express';
import { z } from 'zod';
import { findJob, listJobs, requestCancel } from '../../db/jobs.js';
import { requireRole } from '../auth.js';
import type { ServerContext } from '../context.js';
import { notFound } from '../httpErrors.js';
import { PageSchema } from '../services/datasetsService.js';

const JobQuerySchema = PageSchema.extend({ status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']).optional() });

const view = (j: NonNullable<Awaited<ReturnType<typeof findJob>>>) => ({
  id: j.id,
  kind: j.kind,
  runId: j.runId,
  status: j.status,
  payload: j.payload,
  result: j.result,
  error: j.error,
  cancelRequested: j.cancelRequested,
  priority: j.priority,
  /** Worker tags it requires. */
  requires: j.tags,
  attempts: j.attempts,
  workerId: j.workerId,
  createdAt: j.createdAt.toISOString(),
  startedAt: j.startedAt?.toISOString() ?? null,
  finishedAt: j.finishedAt?.toISOString() ?? null,
});

export function jobsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = JobQuerySchema.parse(req.query);
    res.json({ items: (await listJobs(ctx.db, { status: q.status, take: q.limit, skip: q.offset })).map(view) });
  });
  r.get('/:id', async (req, res) => {
    const job = await findJob(ctx.db, req.params.id);
    if (!job) throw notFound(`job ${req.params.id} does not exist`);
    res.json(view(job));
  });
  r.post('/:id/cancel', requireRole('admin'), async (req, res) => {
    const id = String(req.params.id);
    const job = await requestCancel(ctx.db, id);
    if (!job) throw notFound(`job ${id} does not exist`);
    res.status(202).json(view(job));
  });
  return r;
}
