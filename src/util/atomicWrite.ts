import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** 8 hex digits naming this host in temp names: on shared storage, a pid means something on its own host only. */
export const HOST_TAG = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/**
 * A temp name beside `file`: `<name>.<host tag>.<pid>.<8 hex>.tmp`. reconcileIngest removes those of
 * this host's dead processes, and leaves other hosts' alone.
 */
export const tempNameFor = (file: string): string => `${file}.${HOST_TAG}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;

/** Flushes a folder's entries (a rename into it) to disk; a no-op where the platform cannot open folders. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a file so that a reader, on this host or another one sharing the folder (NFS, SMB), sees the
 * old content or the whole new one, never a part: the bytes go to a temp name in the same folder, are
 * fsynced, and the temp file is renamed over the target (atomic within one filesystem); the folder is
 * fsynced too, so a power loss after the call keeps the new file.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = tempNameFor(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}
