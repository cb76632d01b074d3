import { Router } from 'express';
import { z } from 'zod';
import { listAudit, listUsers } from '../../db/users.js';
import { requireRole } from '../auth.js';
import type { ServerContext } from '../context.js';

const AuditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  actor: z.string().min(1).max(80).optional(),
  /** An action or its prefix, e.g. "run." */
  action: z.string().min(1).max(80).optional(),
});

/** GET /api/audit (admins): who did what, newest first; GET /api/users (admins): accounts and their tokens' dates. */
export function auditRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/audit', requireRole('admin'), async (req, res) => {
    res.json(await listAudit(ctx.db, AuditQuerySchema.parse(req.query)));
  });
  r.get('/users', requireRole('admin'), async (_req, res) => {
    res.json({ items: await listUsers(ctx.db) });
  });
  return r;
}
