import crypto from 'node:crypto';

/**
 * File names the product writes: a stem of letters, digits, '.', '_' and '-' that starts with a letter
 * or digit, at most 128 characters. No separator, no "..", nothing a value read from a file or a request
 * could use to leave the folder it is joined to.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class UnsafeNameError extends Error {
  override name = 'UnsafeNameError';
}

/** Returns `name` when it is a safe file name (SAFE_NAME, and not "." or ".."), else throws naming it. */
export function assertSafeFileName(name: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw new UnsafeNameError(`refusing to use ${JSON.stringify(name.slice(0, 80))} as a file name: only letters, digits, '.', '_' and '-' (at most 128, no "..") are allowed`);
  }
  return name;
}

/**
 * Cache file stem for an entry keyed by a value that came from a file (a SeriesInstanceUID): the first
 * 32 hex digits of its SHA-256, so the key never becomes a path component whatever it holds, and every
 * key, however long, gives a name of one length.
 */
export function cacheName(key: string, kind: string): string {
  return `${keyHash(key)}.${assertSafeFileName(kind)}`;
}

/** 32 hex digits of the SHA-256 of `key`: a file or folder name for a value that must not be one itself. */
export const keyHash = (key: string): string => crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
