import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireRole } from '../auth.js';
import type { ServerContext } from '../context.js';
import { PngOptionsSchema } from '../../figures/slicePng.js';
import { runReportHtml } from '../services/runReportService.js';
import { caseIndex, caseInfo, caseSlice, caseSlicePngImage, caseThumbnail, PlaneSchema, SliceParamsSchema } from '../services/casesService.js';
import { pushCase, PushRequestSchema } from '../services/pacsService.js';
import {
  downloadName,
  runIdentity,
  cancelRun,
  compareRuns,
  CompareQuerySchema,
  createRunFromRequest,
  deleteRun,
  exportZip,
  getRun,
  listRunsPage,
  metricsCsv,
  resumeRun,
  RunListQuerySchema,
  runCurves,
  updateRun,
  UpdateRunSchema,
} from '../services/runsService.js';

const IdSchema = z.object({ id: z.string().min(1) });

export function runsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json(await listRunsPage(ctx.db, RunListQuerySchema.parse(req.query)));
  });
  r.post('/', requireRole('researcher'), async (req, res) => {
    res.status(201).json(await createRunFromRequest(ctx.db, req.body, principalOf(res)));
  });
  r.get('/compare', async (req, res) => {
    res.json(await compareRuns(ctx.db, CompareQuerySchema.parse(req.query).runs));
  });
  r.get('/:id', async (req, res) => {
    res.json(await getRun(ctx.db, IdSchema.parse(req.params).id));
  });
  r.patch('/:id', requireRole('researcher'), async (req, res) => {
    res.json(await updateRun(ctx.db, IdSchema.parse(req.params).id, UpdateRunSchema.parse(req.body), principalOf(res)));
  });
  r.delete('/:id', requireRole('admin'), async (req, res) => {
    await deleteRun(ctx.db, IdSchema.parse(req.params).id, ctx.runsDir, principalOf(res));
    res.status(204).end();
  });
  r.post('/:id/cancel', requireRole('researcher'), async (req, res) => {
    const job = await cancelRun(ctx.db, IdSchema.parse(req.params).id, principalOf(res));
    res.status(202).json({ jobId: job?.id, status: job?.status });
  });
  r.post('/:id/resume', requireRole('researcher'), async (req, res) => {
    const job = await resumeRun(ctx.db, IdSchema.parse(req.params).id, ctx.runsDir, principalOf(res));
    res.status(202).json({ jobId: job.id, status: job.status });
  });
  r.get('/:id/curves', async (req, res) => {
    res.json(await runCurves(ctx.db, IdSchema.parse(req.params).id));
  });
  r.get('/:id/metrics.csv', async (req, res) => {
    const id = IdSchema.parse(req.params).id;
    const csv = await metricsCsv(ctx.db, id, ctx.redact);
    res
      .type('text/csv')
      .attachment(downloadName(await runIdentity(ctx.db, id), 'metrics.csv'))
      .send(csv);
  });
  r.get('/:id/report.html', async (req, res) => {
    const id = IdSchema.parse(req.params).id;
    const html = await runReportHtml(ctx.db, id);
    res
      .type('html')
      .attachment(downloadName(await runIdentity(ctx.db, id), 'report.html'))
      .send(ctx.redact.value(html));
  });
  r.get('/:id/export.zip', requireRole('researcher'), async (req, res) => {
    const id = IdSchema.parse(req.params).id;
    const zip = await exportZip(ctx.db, id, ctx.runsDir, principalOf(res));
    res.download(zip, downloadName(await runIdentity(ctx.db, id), 'model.zip'));
  });
  r.get('/:id/cases/:series', async (req, res) => {
    const p = SliceParamsSchema.omit({ k: true }).parse(req.params);
    res.json(await caseInfo(ctx.db, p.id, p.series));
  });
  r.get('/:id/cases/:series/index', async (req, res) => {
    const p = SliceParamsSchema.omit({ k: true }).parse(req.params);
    res.json(await caseIndex(ctx.db, p.id, p.series));
  });
  r.post('/:id/cases/:series/push', requireRole('researcher'), async (req, res) => {
    const p = SliceParamsSchema.omit({ k: true }).parse(req.params);
    res.json(await pushCase(ctx.db, p.id, p.series, PushRequestSchema.parse(req.body), ctx.pacs, principalOf(res)));
  });
  r.get('/:id/cases/:series/thumbnail.png', async (req, res) => {
    const p = SliceParamsSchema.omit({ k: true }).parse(req.params);
    const { cls } = z
      .object({ cls: z.coerce.number().int().min(1).max(255).default(1) })
      .strict()
      .parse(req.query);
    res
      .set('Cache-Control', 'private, max-age=300')
      .type('image/png')
      .send(await caseThumbnail(ctx.db, p.id, p.series, cls));
  });
  // Before the JSON route, which would take "3.png" as the slice number.
  r.get('/:id/cases/:series/slices/:k.png', async (req, res) => {
    const p = SliceParamsSchema.parse(req.params);
    const png = await caseSlicePngImage(ctx.db, p.id, p.series, p.k, PngOptionsSchema.parse(req.query));
    res.set('Cache-Control', 'private, max-age=300').type('image/png').send(png);
  });
  r.get('/:id/cases/:series/slices/:k', async (req, res) => {
    const p = SliceParamsSchema.parse(req.params);
    res.set('Cache-Control', 'private, max-age=300').json(await caseSlice(ctx.db, p.id, p.series, p.k, PlaneSchema.parse(req.query).plane));
  });
  return r;
}
