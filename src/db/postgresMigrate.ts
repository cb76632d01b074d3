import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from './postgresSchema.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Any number, the same in every SegFusion process: pg_advisory_lock's key for "migrating". */
const MIGRATION_LOCK = 7_316_902_201;

export class PostgresMigrationError extends Error {
  override name = 'PostgresMigrationError';
}

/** The PostgreSQL migrations checked in, oldest first (folder names sort by their timestamp). */
export function postgresMigrations(): string[] {
  const dir = path.join(projectRoot, POSTGRES_MIGRATIONS);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((d) => /^\d{14}_[a-z0-9_]+$/.test(d) && fs.existsSync(path.join(dir, d, 'migration.sql')))
        .sort()
    : [];
}

/**
 * Applies the pending PostgreSQL migrations (prisma/postgresql/migrations), as `prisma migrate deploy`
 * would, and records them in Prisma's own `_prisma_migrations` table (same columns, sha256 checksums), so
 * Prisma's tools see the same history. SegFusion does it itself because Prisma Migrate through the pg
 * driver adapter fails on PostgreSQL's `name` columns (prisma/orm#27403), and without the adapter it
 * downloads an engine. A session-level advisory lock makes processes that start together (a server and
 * several workers) apply each migration once; each migration runs in one transaction. A checked-in
 * migration changed after it was applied is refused with its name.
 */
export async function ensurePostgresMigrated(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new PostgresMigrationError(`cannot connect to the PostgreSQL catalogue ${redactUrl(databaseUrl)}: ${(err as Error).message}`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const applied = new Map(
      (await client.query<{ migration_name: string; checksum: string }>('SELECT "migration_name", "checksum" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL')).rows.map((r) => [
        r.migration_name,
        r.checksum,
      ]),
    );
    for (const name of postgresMigrations()) {
      const sql = fs.readFileSync(path.join(projectRoot, POSTGRES_MIGRATIONS, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const was = applied.get(name);
      if (was !== undefined) {
        if (was !== checksum) throw new PostgresMigrationError(`migration ${name} was changed after it was applied to this database (checksum ${was.slice(0, 12)}… now ${checksum.slice(0, 12)}…)`);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES ($1, $2, now(), $3, now(), 1)', [randomUUID(), checksum, name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new PostgresMigrationError(`applying migration ${name} to ${redactUrl(databaseUrl)} failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A connection URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
