import fs from 'node:fs';
import path from 'node:path';

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Recursively lists regular files under each path (files may be given directly), absolute and sorted. */
export function scanFiles(roots: string[], exclude: string[] = []): ScannedFile[] {
  const skip = exclude.map((e) => path.resolve(e));
  const out: ScannedFile[] = [];
  const visit = (p: string) => {
    if (skip.some((s) => p === s || p.startsWith(s + path.sep))) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        visit(path.join(p, name));
      }
    } else if (st.isFile()) {
      out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  for (const root of roots) {
    const abs = path.resolve(root);
    if (!fs.existsSync(abs)) throw new Error(`input path does not exist: ${abs}`);
    visit(abs);
  }
  return out;
}
