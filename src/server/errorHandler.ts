import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { DatasetNotFoundError } from '../data/datasetInfo.js';
import { SplitError } from '../data/split.js';
import { JobStateError } from '../db/jobs.js';
import { ExportError } from '../export/exportManifest.js';
import { FusionOptionError } from '../fusion/controls.js';
import { LossOptionError } from '../losses/types.js';
import { RunConfigError } from '../train/runConfig.js';
import { StudyError, StudyNotFoundError } from '../studies/study.js';
import { RunNotFoundError, RunStateError } from '../train/trainer.js';
import { ForbiddenError } from '../users/roles.js';
import { UserNotFoundError } from '../db/users.js';
import { logger } from '../util/logger.js';
import { HttpError } from './httpErrors.js';

/** The one error shape of the API. */
export interface ApiError {
  error: { code: string; message: string; issues?: { field: string; message: string }[] };
}

const body = (code: string, message: string, issues?: ApiError['error']['issues']): ApiError => ({ error: { code, message, ...(issues ? { issues } : {}) } });

/** Domain errors (which know nothing of HTTP) and their status. */
const DOMAIN: [new (...args: never[]) => Error, number, string][] = [
  [DatasetNotFoundError, 404, 'not_found'],
  [RunNotFoundError, 404, 'not_found'],
  [RunStateError, 409, 'conflict'],
  [JobStateError, 409, 'conflict'],
  [ExportError, 409, 'conflict'],
  [RunConfigError, 400, 'validation'],
  [LossOptionError, 400, 'validation'],
  [FusionOptionError, 400, 'validation'],
  [SplitError, 400, 'validation'],
  [StudyError, 400, 'validation'],
  [StudyNotFoundError, 404, 'not_found'],
  [ForbiddenError, 403, 'forbidden'],
  [UserNotFoundError, 404, 'not_found'],
];

/**
 * The single error path: typed app errors, zod validation errors (400 with each field and reason),
 * domain errors, body-parser errors and Prisma's "record not found" become one JSON shape. Anything
 * else is a 500 whose details go to the log, never to the client.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  void next;
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    res.status(400).json(body('validation', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues));
    return;
  }
  if (err instanceof HttpError) {
    res.status(err.status).json(body(err.code, err.message));
    return;
  }
  if (err instanceof RunConfigError && err.field) {
    // A run config arrives as the body's `config` (POST /api/runs, studies' base config).
    res.status(400).json(body('validation', err.message, [{ field: `config.${err.field}`, message: err.message.replace(/^run config: [^:]+: /, '') }]));
    return;
  }
  for (const [type, status, code] of DOMAIN) {
    if (err instanceof type) {
      res.status(status).json(body(code, err.message));
      return;
    }
  }
  const e = err as { type?: string; status?: number; code?: string; message?: string };
  if (e.type === 'entity.too.large') {
    res.status(413).json(body('too_large', 'request body too large'));
    return;
  }
  if (e.type === 'entity.parse.failed') {
    res.status(400).json(body('validation', 'request body is not valid JSON', [{ field: '(body)', message: 'invalid JSON' }]));
    return;
  }
  if (e.type === 'encoding.unsupported') {
    res.status(415).json(body('unsupported_encoding', `${e.message}; send the body uncompressed or gzip/deflate/br-encoded`));
    return;
  }
  // Other client errors of Express and body-parser (a body that does not match its Content-Encoding,
  // a malformed percent-encoding in the path): their status, in our shape, and no stack in the log.
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const message = err instanceof URIError || /decode param/i.test(e.message ?? '') ? `malformed percent-encoding in the path ${JSON.stringify(req.originalUrl.slice(0, 200))}` : (e.message ?? 'bad request');
    res.status(e.status).json(body('bad_request', message));
    return;
  }
  if (e.code === 'P2025') {
    res.status(404).json(body('not_found', 'no such record'));
    return;
  }
  logger.error({ err, method: req.method, url: req.path }, 'request failed');
  res.status(500).json(body('internal', 'internal error; see the server log'));
};
