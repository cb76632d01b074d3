import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { authenticate } from './auth.js';
import type { ServerContext } from './context.js';
import { errorHandler } from './errorHandler.js';
import { readiness } from './health.js';
import { requireKnownHost } from './hostCheck.js';
import { notFound } from './httpErrors.js';
import { auditRouter } from './routes/auditRouter.js';
import { workersRouter } from './routes/workersRouter.js';
import { datasetsRouter } from './routes/datasetsRouter.js';
import { docsRouter } from './routes/docsRouter.js';
import { eventsRouter } from './routes/eventsRouter.js';
import { jobsRouter } from './routes/jobsRouter.js';
import { pacsRouter } from './routes/pacsRouter.js';
import { pluginsRouter } from './routes/pluginsRouter.js';
import { studiesRouter } from './routes/studiesRouter.js';
import { runsRouter } from './routes/runsRouter.js';
import { sessionRouter } from './routes/sessionRouter.js';

export interface WebAssets {
  /** index.html and styles.css. */
  staticDir: string;
  /** The bundled front end (app.js, app.css). */
  bundleDir: string;
  /** The project's markdown documentation, served rendered under /docs. */
  docsDir: string;
}

/**
 * The Express application: the Host allow-list, liveness and readiness routes, helmet headers, a 100 kB JSON limit, the token check on /api, the JSON API,
 * the dashboard's static files (any non-API path serves index.html: the UI routes by hash), and the
 * single error middleware.
 */
export function createApp(ctx: ServerContext, web: WebAssets): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Plain HTTP (usually on 127.0.0.1): no HSTS and no upgrade of requests to https, which would break
  // the dashboard when it is reached over a LAN address.
  app.use(helmet({ hsts: false, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(requireKnownHost(ctx.allowedHosts));
  // Liveness: the process answers (cheap, for restarts); readiness: it can do its work (for traffic).
  app.get('/api/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/health', async (_req, res) => {
    const { ready, checks } = await readiness(ctx.health);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  const api = express.Router();
  // The one place answers leave the server: every JSON body is redacted here.
  api.use((_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => json(ctx.redact.value(body));
    next();
  });
  api.use(express.json({ limit: '100kb' }));
  // Signing in needs no session; everything after it is authenticated (src/server/auth.ts).
  api.use('/session', sessionRouter(ctx));
  api.use(authenticate(ctx));
  api.use('/', auditRouter(ctx));
  api.use('/', workersRouter(ctx));
  api.use('/datasets', datasetsRouter(ctx));
  api.use('/runs', runsRouter(ctx));
  api.use('/jobs', jobsRouter(ctx));
  api.use('/plugins', pluginsRouter());
  api.use('/pacs', pacsRouter(ctx));
  api.use('/studies', studiesRouter(ctx));
  api.use('/events', eventsRouter(ctx));
  api.use((req) => {
    throw notFound(`no API endpoint ${req.method} ${req.baseUrl}${req.path}`);
  });
  app.use('/api', api);
  app.use('/docs', docsRouter(web.docsDir));
  app.use(express.static(web.bundleDir, { index: false }));
  app.use(express.static(web.staticDir, { index: 'index.html' }));
  app.get('/', (_req, res) => res.sendFile(path.join(web.staticDir, 'index.html')));
  // A dashboard address typed or pasted without its '#' (/runs/abc) opens that page; a missing file
  // (a path with an extension) stays a 404.
  app.get(/^\/(?!api(\/|$))[^.]+$/, (req, res) => res.redirect(302, `/#${req.path}`));
  app.use(errorHandler);
  return app;
}
