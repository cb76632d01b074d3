import crypto from 'node:crypto';

/** scrypt's cost (N = 2^14, r = 8, p = 1: about 20 ms and 16 MiB per check), and the hash's length. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;

/** A personal token's text: `sf_<id>_<secret>`, the id (public, 12 hex) finding the stored hash. */
const FORMAT = /^sf_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  /** Shown once, never stored. */
  text: string;
  hash: string;
  salt: string;
}

/** A new personal token: 256 random bits of secret, kept only as scrypt(secret, salt). */
export function issueToken(): IssuedToken {
  const id = crypto.randomBytes(6).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  const salt = crypto.randomBytes(16).toString('hex');
  return { id, text: `sf_${id}_${secret}`, hash: hashSecret(secret, salt), salt };
}

export function hashSecret(secret: string, salt: string): string {
  return crypto.scryptSync(secret, salt, KEY_BYTES, SCRYPT).toString('hex');
}

/** The id and secret of a token's text, or null when it is not a personal token's shape. */
export function parseToken(text: string): { id: string; secret: string } | null {
  const m = FORMAT.exec(text);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** Whether `secret` is the one hashed as `hash` with `salt`, compared in constant time. */
export function secretMatches(secret: string, salt: string, hash: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const given = crypto.scryptSync(secret, salt, KEY_BYTES, SCRYPT);
  return expected.length === given.length && crypto.timingSafeEqual(given, expected);
}

/** Whether `given` is the shared SEGFUSION_TOKEN, compared in constant time (as digests, whatever the lengths). */
export function sharedTokenMatches(given: string, shared: string | undefined): boolean {
  if (!shared) return false;
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(shared));
}

/** A session id (the cookie's value) and what is stored of it. */
export function newSession(): { id: string; stored: string; csrf: string } {
  const id = crypto.randomBytes(32).toString('base64url');
  return { id, stored: sessionKey(id), csrf: crypto.randomBytes(24).toString('base64url') };
}

/** What the catalogue keeps of a session id: its sha256, so a leaked catalogue signs nobody in. */
export const sessionKey = (id: string): string => crypto.createHash('sha256').update(id).digest('hex');
