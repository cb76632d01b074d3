import crypto from 'node:crypto';
import fs from 'node:fs';

/** Hex SHA-1 of a string: fingerprints of file lists, not security. */
export const sha1 = (text: string): string => crypto.createHash('sha1').update(text).digest('hex');

/**
 * The first `length` bytes of a file (fewer if it is shorter), without reading the rest; into `reuse`
 * when given (at least `length` bytes), which the next call with it overwrites.
 */
export function readPrefix(file: string, length: number, reuse?: Buffer): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = reuse ?? Buffer.allocUnsafe(length);
    const n = fs.readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
