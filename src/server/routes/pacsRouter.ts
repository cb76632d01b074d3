import { Router } from 'express';
import type { ServerContext } from '../context.js';
import { listPacs } from '../services/pacsService.js';

/** GET /api/pacs: the configured DICOMweb servers the dashboard offers (names and addresses, never credentials). */
export function pacsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    res.json(listPacs(ctx.pacs));
  });
  return r;
}
