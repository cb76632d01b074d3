import fs from 'node:fs';
import path from 'node:path';

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** A path the scan could not take: a link out of the roots, a link loop, an unreadable folder. */
export interface ScanProblem {
  path: string;
  reason: string;
}

export interface ScanResult {
  files: ScannedFile[];
  problems: ScanProblem[];
}

export class ScanError extends Error {
  override name = 'ScanError';
}

/** Whether `real` (a resolved path) is `root` or lies below it. */
export function isInside(root: string, real: string): boolean {
  const rel = path.relative(root, real);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const CODES: Record<string, string> = {
  ELOOP: 'symbolic link loop',
  ENAMETOOLONG: 'path too long',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'dangling symbolic link or file removed during the scan',
};

const describeFsError = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return CODES[code] ? `${CODES[code]} (${code})` : (err as Error).message;
};

/**
 * Recursively lists regular files under each root (a root may be a file), absolute and sorted. Every
 * entry is resolved (symbolic links followed) and kept only when it lies inside one of the roots as
 * resolved, so a link cannot pull files from elsewhere; links out, loops and unreadable entries are
 * returned as problems and the rest goes on. Files are listed by their path as scanned (inside the
 * root), each real file once. Only a root that does not exist is an error.
 */
export function scanFiles(roots: string[], exclude: string[] = []): ScanResult {
  const skip = exclude.map((e) => path.resolve(e));
  const files: ScannedFile[] = [];
  const problems: ScanProblem[] = [];
  const seen = new Set<string>();
  const realRoots: string[] = [];
  for (const root of roots) {
    const abs = path.resolve(root);
    try {
      realRoots.push(fs.realpathSync(abs));
    } catch (err) {
      throw new ScanError(`input path ${abs} cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : describeFsError(err)}`);
    }
  }
  const visit = (p: string) => {
    if (skip.some((s) => p === s || p.startsWith(s + path.sep))) return;
    let real: string;
    let st: fs.Stats;
    try {
      real = fs.realpathSync(p);
      st = fs.statSync(real);
    } catch (err) {
      problems.push({ path: p, reason: `${p}: ${describeFsError(err)}; skipped` });
      return;
    }
    if (!realRoots.some((r) => isInside(r, real))) {
      problems.push({ path: p, reason: `${p}: symbolic link to a location outside the folders being ingested; skipped` });
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = fs.readdirSync(p).sort();
      } catch (err) {
        problems.push({ path: p, reason: `${p}: folder cannot be listed: ${describeFsError(err)}; skipped` });
        return;
      }
      for (const name of names) {
        if (name.startsWith('.')) continue;
        visit(path.join(p, name));
      }
    } else if (st.isFile()) {
      files.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  roots.forEach((root) => visit(path.resolve(root)));
  return { files, problems };
}

/**
 * The regular files directly in one folder (names, sorted, no dot files), with scanFiles' rule: an
 * entry that resolves outside the folder (a symbolic link out), a link loop or an unreadable entry is
 * a problem, not a file.
 */
export function listFolder(dir: string): { names: string[]; problems: ScanProblem[] } {
  const real = fs.realpathSync(dir);
  const names: string[] = [];
  const problems: ScanProblem[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    try {
      const target = fs.realpathSync(p);
      if (!isInside(real, target)) {
        problems.push({ path: p, reason: `${p}: symbolic link to a location outside the labels folder; skipped` });
        continue;
      }
      if (fs.statSync(target).isFile()) names.push(name);
    } catch (err) {
      problems.push({ path: p, reason: `${p}: ${describeFsError(err)}; skipped` });
    }
  }
  return { names, problems };
}
