import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { findSession, hasUsers, principalForToken } from '../db/users.js';
import { atLeast, type Principal, type Role } from '../users/roles.js';
import { sharedTokenMatches } from '../users/tokens.js';
import type { ServerContext } from './context.js';
import { forbidden, unauthorized } from './httpErrors.js';

/** The dashboard's session cookie (HttpOnly, SameSite=Strict): the browser sends it, scripts cannot read it. */
export const SESSION_COOKIE = 'segfusion_session';

/** Methods that change nothing, which need no CSRF token. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One cookie of the request (no cookie library: the header's grammar is `name=value; name=value`). */
export function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

const sameText = (a: string, b: string) => {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
};

/** The bearer token of a request: `Authorization: Bearer TOKEN`, or `?token=TOKEN` for API clients' downloads. */
const bearerOf = (req: Request): string | null => {
  const header = req.get('authorization');
  return header?.startsWith('Bearer ') ? header.slice(7) : typeof req.query.token === 'string' ? req.query.token : null;
};

/**
 * Who a request acts for (res.locals.principal), or 401. In order: a bearer token (the shared
 * SEGFUSION_TOKEN, an admin, or a user's personal token); the session cookie of a signed-in browser,
 * whose requests that change something must carry the session's X-CSRF-Token (403 otherwise: a page of
 * another site can make the browser send the cookie, not read the token); and, on a server with neither
 * a token nor any account (a one-person install on 127.0.0.1), everyone is the admin "local".
 */
export function authenticate(ctx: ServerContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const bearer = bearerOf(req);
      if (bearer !== null) {
        const principal: Principal | null = sharedTokenMatches(bearer, ctx.token) ? { name: 'token', role: 'admin' } : await principalForToken(ctx.db, bearer);
        if (!principal) return next(unauthorized('wrong or revoked API token (Authorization: Bearer TOKEN: a personal token from `segfusion user add`, or SEGFUSION_TOKEN)'));
        res.locals.principal = principal;
        return next();
      }
      const cookie = cookieOf(req, SESSION_COOKIE);
      const session = cookie ? await findSession(ctx.db, cookie) : null;
      if (session) {
        const csrf = req.get('x-csrf-token');
        if (!SAFE.has(req.method) && !(csrf && sameText(csrf, session.csrf))) return next(forbidden('missing or wrong X-CSRF-Token header: the dashboard sends the one GET /api/session gives'));
        res.locals.principal = session.principal;
        res.locals.csrf = session.csrf;
        return next();
      }
      if (!ctx.token && !(await hasUsers(ctx.db))) {
        res.locals.principal = { name: 'local', role: 'admin' } satisfies Principal;
        return next();
      }
      next(unauthorized(cookie ? 'the session has ended: sign in again' : 'sign in with an API token (POST /api/session), or send it as Authorization: Bearer TOKEN'));
    } catch (err) {
      next(err);
    }
  };
}

/** Who the request acts for (set by authenticate). */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/** 403 unless the request's principal holds `role` or a higher one; the message names both. */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const p = principalOf(res);
    if (atLeast(p.role, role)) return next();
    next(forbidden(`this needs the ${role} role; ${p.name} is a ${p.role}`));
  };
}
