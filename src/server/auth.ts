import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { unauthorized } from './httpErrors.js';

/**
 * Requires the token on every API call when one is configured: `Authorization: Bearer TOKEN`, or
 * `?token=TOKEN` for what a browser cannot give headers to (EventSource, download links).
 */
export function requireToken(token: string | undefined): RequestHandler {
  const expected = token ? crypto.createHash('sha256').update(token).digest() : null;
  return (req, _res, next) => {
    if (!expected) return next();
    const header = req.get('authorization');
    const given = header?.startsWith('Bearer ') ? header.slice(7) : typeof req.query.token === 'string' ? req.query.token : '';
    const digest = crypto.createHash('sha256').update(given).digest();
    if (!crypto.timingSafeEqual(digest, expected)) return next(unauthorized('missing or wrong API token (Authorization: Bearer SEGFUSION_TOKEN)'));
    next();
  };
}
