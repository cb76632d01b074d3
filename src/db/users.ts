import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Principal, type Role, RoleSchema } from '../users/roles.js';
import { issueToken, newSession, parseToken, secretMatches, sessionKey } from '../users/tokens.js';
import type { Db } from './client.js';

export class UserError extends Error {
  override name = 'UserError';
}

export class UserNotFoundError extends Error {
  override name = 'UserNotFoundError';
  constructor(readonly userName: string) {
    super(`no user "${userName}" (see: segfusion user list)`);
  }
}

/** A user name: what audit records and run owners show; not "token", "local" or "cli:…", which name other actors. */
export const UserNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a user name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((n) => !['token', 'local'].includes(n.toLowerCase()), 'names "token" and "local" stand for the shared token and a server without accounts');

/** A browser session lasts this long after signing in. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/** A new user with one personal token, whose text is returned once and never stored. */
export async function addUser(db: Db, name: string, role: Role): Promise<{ name: string; role: Role; token: string }> {
  const n = UserNameSchema.parse(name);
  if (await db.user.findUnique({ where: { name: n } })) throw new UserError(`user "${n}" exists already (a new token: segfusion user token ${n})`);
  const token = issueToken();
  const id = randomUUID();
  await db.$transaction([db.user.create({ data: { id, name: n, role } }), db.apiToken.create({ data: { id: token.id, userId: id, hash: token.hash, salt: token.salt } })]);
  return { name: n, role, token: token.text };
}

async function userNamed(db: Db, name: string) {
  const user = await db.user.findUnique({ where: { name } });
  if (!user) throw new UserNotFoundError(name);
  return user;
}

/** Another personal token for a user (their earlier ones keep working until revoked). */
export async function addToken(db: Db, name: string): Promise<string> {
  const user = await userNamed(db, name);
  const token = issueToken();
  await db.apiToken.create({ data: { id: token.id, userId: user.id, hash: token.hash, salt: token.salt } });
  return token.text;
}

/** Revokes every token of a user and ends their sessions; with `disable`, they can no longer sign in at all. */
export async function revokeUser(db: Db, name: string, o: { disable?: boolean } = {}): Promise<{ tokens: number }> {
  const user = await userNamed(db, name);
  const now = new Date();
  const [revoked] = await db.$transaction([
    db.apiToken.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } }),
    db.session.deleteMany({ where: { userId: user.id } }),
    ...(o.disable ? [db.user.update({ where: { id: user.id }, data: { disabledAt: now } })] : []),
  ]);
  return { tokens: revoked.count };
}

export async function setRole(db: Db, name: string, role: Role): Promise<void> {
  const user = await userNamed(db, name);
  await db.user.update({ where: { id: user.id }, data: { role } });
}

/** Every user with their tokens' ids and dates (never a secret or a hash). */
export async function listUsers(db: Db) {
  const users = await db.user.findMany({ orderBy: { name: 'asc' }, include: { tokens: { orderBy: { createdAt: 'asc' } } } });
  return users.map((u) => ({
    name: u.name,
    role: RoleSchema.parse(u.role),
    createdAt: u.createdAt,
    disabledAt: u.disabledAt,
    tokens: u.tokens.map((t) => ({ id: t.id, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt })),
  }));
}

/** Whether accounts are in use: then every API call needs a token or a session, even on loopback. */
export async function hasUsers(db: Db): Promise<boolean> {
  return (await db.user.count()) > 0;
}

/** The user a personal token stands for, or null (unknown, wrong secret, revoked, user disabled). */
export async function principalForToken(db: Db, text: string): Promise<Principal | null> {
  const parsed = parseToken(text);
  if (!parsed) return null;
  const token = await db.apiToken.findUnique({ where: { id: parsed.id }, include: { user: true } });
  if (!token || token.revokedAt || token.user.disabledAt || !secretMatches(parsed.secret, token.salt, token.hash)) return null;
  // lastUsedAt to the minute: one write a minute at most per token.
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } });
  return { name: token.user.name, role: RoleSchema.parse(token.user.role) };
}

/** A session for a signed-in principal (a user, or the shared token's admin when userName is null). */
export async function createSession(db: Db, userName: string | null): Promise<{ cookie: string; csrf: string; expiresAt: Date }> {
  const user = userName === null ? null : await userNamed(db, userName);
  const s = newSession();
  const expiresAt = new Date(Date.now() + SESSION_MS);
  await db.session.create({ data: { id: s.stored, userId: user?.id ?? null, csrf: s.csrf, expiresAt } });
  return { cookie: s.id, csrf: s.csrf, expiresAt };
}

/** The principal and CSRF token of a live session, or null (unknown, expired, user disabled). */
export async function findSession(db: Db, cookie: string): Promise<{ principal: Principal; csrf: string } | null> {
  const s = await db.session.findUnique({ where: { id: sessionKey(cookie) }, include: { user: true } });
  if (!s || s.expiresAt.getTime() < Date.now() || s.user?.disabledAt) return null;
  return { principal: s.user ? { name: s.user.name, role: RoleSchema.parse(s.user.role) } : { name: 'token', role: 'admin' }, csrf: s.csrf };
}

export async function deleteSession(db: Db, cookie: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionKey(cookie) } });
}

/** One audit record: who (as Run.owner), what, on which thing, with JSON details. */
export async function recordAudit(db: Db, actor: string, action: string, target?: string | null, detail?: Record<string, unknown>): Promise<void> {
  await db.auditEvent.create({ data: { id: randomUUID(), actor, action, target: target ?? null, detail: detail ? JSON.stringify(detail) : null } });
}

/** Audit records, newest first, optionally of one actor or action (prefix, e.g. "run."). */
export async function listAudit(db: Db, o: { limit: number; offset: number; actor?: string; action?: string }) {
  const where = { ...(o.actor ? { actor: o.actor } : {}), ...(o.action ? { action: { startsWith: o.action } } : {}) };
  const [total, rows] = await Promise.all([db.auditEvent.count({ where }), db.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'asc' }], take: o.limit, skip: o.offset })]);
  return { total, items: rows.map((r) => ({ at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null })) };
}
