import { Router } from 'express';
import type { ServerContext } from '../context.js';
import { datasetDetail, ingestFromRoots, IngestRequestSchema, listDatasetsPage, PageSchema } from '../services/datasetsService.js';

export function datasetsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json(await listDatasetsPage(ctx.db, PageSchema.parse(req.query)));
  });
  r.get('/:name', async (req, res) => {
    res.json(await datasetDetail(ctx.db, req.params.name));
  });
  r.post('/ingest', async (req, res) => {
    const job = await ingestFromRoots(ctx.db, IngestRequestSchema.parse(req.body), ctx.ingestRoots);
    res.status(202).json({ jobId: job.id, status: job.status });
  });
  return r;
}
