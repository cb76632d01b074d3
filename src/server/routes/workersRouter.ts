import { Router } from 'express';
import { listWorkers } from '../../db/workers.js';
import type { ServerContext } from '../context.js';

/** GET /api/workers: the job workers (live ones first, stopped ones of the last day), with the lease they are held to. */
export function workersRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/workers', async (_req, res) => {
    res.json({ leaseSeconds: Math.round(ctx.workerLeaseMs / 1000), items: await listWorkers(ctx.db) });
  });
  return r;
}
