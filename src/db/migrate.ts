import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sqlitePath } from '../config.js';

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');

/** Names of the checked-in migrations, in the order Prisma applies them. */
export function checkedInMigrations(): string[] {
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}

function appliedMigrations(file: string): Set<string> {
  if (!fs.existsSync(file)) return new Set();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
    if (!table) return new Set();
    const rows = db.prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL').all() as { migration_name: string }[];
    return new Set(rows.map((r) => r.migration_name));
  } finally {
    db.close();
  }
}

/**
 * Brings the database up to the checked-in schema. The common case (nothing pending) is a single
 * read of _prisma_migrations; otherwise the real `prisma migrate deploy` runs, so the migration
 * history stays the one Prisma's own tooling expects.
 */
export async function ensureMigrated(databaseUrl: string): Promise<void> {
  const file = sqlitePath(databaseUrl);
  const applied = appliedMigrations(file);
  if (checkedInMigrations().every((m) => applied.has(m))) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const require = createRequire(import.meta.url);
  const prismaCli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
  try {
    await execFileAsync(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: `file:${file}`, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  } catch (err) {
    const detail = err instanceof Error && 'stderr' in err ? String((err as { stderr: unknown }).stderr) : String(err);
    throw new Error(`applying database migrations to ${file} failed: ${detail.trim()}`);
  }
}
