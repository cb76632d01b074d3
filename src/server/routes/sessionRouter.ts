import { Router } from 'express';
import { z } from 'zod';
import { createSession, deleteSession, principalForToken, recordAudit } from '../../db/users.js';
import type { Principal } from '../../users/roles.js';
import { sharedTokenMatches } from '../../users/tokens.js';
import { authenticate, cookieOf, principalOf, SESSION_COOKIE } from '../auth.js';
import type { ServerContext } from '../context.js';
import { unauthorized } from '../httpErrors.js';

const SignInSchema = z.strictObject({ token: z.string().min(1).max(512) });

/**
 * The dashboard's sign-in. POST /api/session {token}: a personal token or the shared SEGFUSION_TOKEN
 * becomes a session cookie (HttpOnly, SameSite=Strict, 12 hours) and the answer's CSRF token, which
 * the dashboard sends back in X-CSRF-Token. GET: who the caller is (with the CSRF token again, for a
 * reloaded page). DELETE: signs out.
 */
export function sessionRouter(ctx: ServerContext): Router {
  const r = Router();
  r.post('/', async (req, res) => {
    const { token } = SignInSchema.parse(req.body);
    const principal: Principal | null = sharedTokenMatches(token, ctx.token) ? { name: 'token', role: 'admin' } : await principalForToken(ctx.db, token);
    if (!principal) throw unauthorized('wrong or revoked token');
    const s = await createSession(ctx.db, principal.name === 'token' ? null : principal.name);
    res.cookie(SESSION_COOKIE, s.cookie, { httpOnly: true, sameSite: 'strict', path: '/', expires: s.expiresAt, secure: req.secure });
    await recordAudit(ctx.db, principal.name, 'session.create');
    res.status(201).json({ ...principal, csrf: s.csrf });
  });
  r.get('/', authenticate(ctx), (_req, res) => {
    res.json({ ...principalOf(res), csrf: (res.locals.csrf as string | undefined) ?? null });
  });
  r.delete('/', async (req, res) => {
    const cookie = cookieOf(req, SESSION_COOKIE);
    if (cookie) await deleteSession(ctx.db, cookie);
    res.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).end();
  });
  return r;
}
