import type { Db } from './client.js';

/** A prefix that names more than one record: the message lists some of them. */
export class AmbiguousIdError extends Error {
  override name = 'AmbiguousIdError';
  constructor(kind: string, prefix: string, matches: string[]) {
    super(`${kind} id ${prefix} is ambiguous: it starts ${matches.length > 4 ? 'more than 4 ids' : `${matches.length} ids`} (${matches.slice(0, 4).join(', ')}); give more of it`);
  }
}

// Hex digits and hyphens only, so nothing typed becomes a LIKE wildcard; at least 4, as git asks.
const PREFIX = /^[0-9a-f-]{4,35}$/;

/**
 * The full id a person typed the start of, as `git` resolves abbreviated commits: an exact id wins;
 * otherwise the one id that starts with `typed` (4 or more hex digits and hyphens); with none the
 * input is returned unchanged, for the caller's "does not exist" to name it; with several, an
 * AmbiguousIdError lists them. One query: `startingWith` returns the first 5 ids in ascending order,
 * and an exact id sorts before every id it starts, so it is among them when it exists. (A full UUID,
 * 36 characters, is taken as typed without a query.)
 */
async function resolve(kind: string, typed: string, startingWith: (prefix: string) => Promise<string[]>): Promise<string> {
  if (!PREFIX.test(typed)) return typed;
  const matches = await startingWith(typed);
  if (matches.includes(typed)) return typed;
  if (matches.length > 1) throw new AmbiguousIdError(kind, typed, matches);
  return matches[0] ?? typed;
}

const FIRST = 5;

export function resolveRunId(db: Db, typed: string): Promise<string> {
  return resolve('run', typed, async (prefix) => (await db.run.findMany({ where: { id: { startsWith: prefix } }, select: { id: true }, orderBy: { id: 'asc' }, take: FIRST })).map((r) => r.id));
}

export function resolveStudyId(db: Db, typed: string): Promise<string> {
  return resolve('study', typed, async (prefix) => (await db.runStudy.findMany({ where: { id: { startsWith: prefix } }, select: { id: true }, orderBy: { id: 'asc' }, take: FIRST })).map((r) => r.id));
}
