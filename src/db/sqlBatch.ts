import Database from 'better-sqlite3';
import pg from 'pg';
import type { Db } from './client.js';

/** One SQL statement with `?` placeholders, written to run unchanged on SQLite and through Prisma. */
export interface SqlStatement {
  sql: string;
  params: (string | number | null)[];
}

const sqliteFiles = new WeakMap<Db, string>();
const directConnections = new WeakMap<Db, Database.Database>();
const postgresPools = new WeakMap<Db, pg.Pool>();

/**
 * Called by openDb for a PostgreSQL catalogue: batches go through a small pool of direct connections
 * (node-postgres), which sends parameters untyped so that the server types them from their columns,
 * and skips Prisma's query compiler as the SQLite path does. The pool lets the process exit when idle.
 */
export function registerPostgres(db: Db, databaseUrl: string): void {
  postgresPools.set(db, new pg.Pool({ connectionString: databaseUrl, max: 2, allowExitOnIdle: true }));
}

/** Closes the direct PostgreSQL connections of a client (with $disconnect). */
export async function closeDirectConnections(db: Db): Promise<void> {
  await postgresPools.get(db)?.end();
  postgresPools.delete(db);
  directConnections.get(db)?.close();
  directConnections.delete(db);
}

/** `?` placeholders as PostgreSQL's numbered ones (the statements hold no `?` inside literals). */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** Called by openDb: this client's catalogue is the SQLite file at `file`. */
export function registerSqliteFile(db: Db, file: string): void {
  sqliteFiles.set(db, file);
}

function isBusy(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && String((err as { code: unknown }).code).startsWith('SQLITE_BUSY');
}

/**
 * Runs the statements in one transaction. On SQLite they go through a second, synchronous better-sqlite3
 * connection to the same file: Prisma passes every raw statement and its parameters through its query
 * compiler, which for an import's thousands of rows (file records with their headers, instances) cost
 * hundreds of milliseconds of CPU, competing with the decoding workers. The direct transaction starts
 * with BEGIN IMMEDIATE and no busy wait: if another connection holds the write lock (for instance an
 * open Prisma transaction on this very thread, which a blocking wait would deadlock), the batch goes
 * through Prisma instead. On PostgreSQL they go through a direct connection too (registerPostgres),
 * with the placeholders numbered.
 */
export async function runBatch(db: Db, statements: SqlStatement[]): Promise<void> {
  if (!statements.length) return;
  const file = sqliteFiles.get(db);
  if (file) {
    let conn = directConnections.get(db);
    if (!conn) {
      conn = new Database(file, { fileMustExist: true, timeout: 0 });
      conn.pragma('synchronous = NORMAL');
      directConnections.set(db, conn);
    }
    let begun = false;
    try {
      conn.exec('BEGIN IMMEDIATE');
      begun = true;
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
    if (begun) {
      try {
        for (const s of statements) conn.prepare(s.sql).run(...s.params);
        conn.exec('COMMIT');
        return;
      } catch (err) {
        conn.exec('ROLLBACK');
        throw err;
      }
    }
  }
  const pool = postgresPools.get(db);
  if (pool) {
    const conn = await pool.connect();
    try {
      await conn.query('BEGIN');
      for (const s of statements) await conn.query(numbered(s.sql), s.params);
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
    return;
  }
  await db.$transaction(statements.map((s) => db.$executeRawUnsafe(s.sql, ...s.params)));
}

/** `(?, ?, …), (?, ?, …)` for a multi-row VALUES list of `rows` rows of `columns` values. */
export function valuesPlaceholders(rows: number, columns: number): string {
  const row = `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}
