import { Router } from 'express';
import { z } from 'zod';
import type { WorkerEvent } from '../../jobs/worker.js';
import type { ServerContext } from '../context.js';

const EventsQuerySchema = z.object({ runId: z.string().min(1).optional(), token: z.string().optional() });

const runOf = (e: WorkerEvent): string | null => ('runId' in e ? e.runId : null);

/** Server-sent events: every worker event, or those of one run (`?runId=`), plus a heartbeat comment. */
export function eventsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/', (req, res) => {
    const { runId } = EventsQuerySchema.parse(req.query);
    res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const send = (e: WorkerEvent) => {
      if (runId && runOf(e) !== runId) return;
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(ctx.redact.value(e))}\n\n`);
    };
    ctx.events.on('event', send);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      ctx.events.off('event', send);
    });
  });
  return r;
}
