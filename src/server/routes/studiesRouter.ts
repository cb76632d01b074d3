import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireRole } from '../auth.js';
import type { ServerContext } from '../context.js';
import { createStudyFromRequest, studiesList, studyHtmlReport, studyJson } from '../services/studiesService.js';

const IdSchema = z.object({ id: z.string().min(1) });

/** Comparison studies: list, create (queues arms x seeds), the report as JSON or a self-contained HTML file. */
export function studiesRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    res.json(await studiesList(ctx.db));
  });
  r.post('/', requireRole('researcher'), async (req, res) => {
    res.status(201).json(await createStudyFromRequest(ctx.db, req.body, principalOf(res)));
  });
  r.get('/:id', async (req, res) => {
    res.json(await studyJson(ctx.db, IdSchema.parse(req.params).id));
  });
  r.get('/:id/report.html', async (req, res) => {
    const { id } = IdSchema.parse(req.params);
    res
      .type('html')
      .attachment(`segfusion-study-${id}.html`)
      .send(ctx.redact.value(await studyHtmlReport(ctx.db, id)));
  });
  return r;
}
