import { Router } from 'express';
import { principalOf, requireRole } from '../auth.js';
import type { ServerContext } from '../context.js';
import { ingestFromPacs, PacsIngestRequestSchema } from '../services/pacsService.js';
import { datasetDetail, DemoRequestSchema, ingestFromRoots, IngestRequestSchema, listDatasetsPage, PageSchema, queueDemo } from '../services/datasetsService.js';

export function datasetsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json(await listDatasetsPage(ctx.db, PageSchema.parse(req.query)));
  });
  r.get('/:name', async (req, res) => {
    res.json(await datasetDetail(ctx.db, req.params.name));
  });
  r.post('/ingest', requireRole('admin'), async (req, res) => {
    const job = await ingestFromRoots(ctx.db, IngestRequestSchema.parse(req.body), ctx.ingestRoots, principalOf(res));
    res.status(202).json({ jobId: job.id, status: job.status });
  });
  r.post('/ingest-pacs', requireRole('admin'), async (req, res) => {
    const job = await ingestFromPacs(ctx.db, PacsIngestRequestSchema.parse(req.body), ctx.pacs, principalOf(res));
    res.status(202).json({ jobId: job.id, status: job.status });
  });
  r.post('/demo', requireRole('admin'), async (req, res) => {
    const job = await queueDemo(ctx.db, DemoRequestSchema.parse(req.body), ctx.ingestRoots, principalOf(res));
    res.status(202).json({ jobId: job.id, status: job.status });
  });
  return r;
}
