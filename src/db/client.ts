import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/index.js';
import { PrismaClient as PostgresPrismaClient } from '../../generated/prisma-pg/index.js';
import { sqlitePath } from '../config.js';
import { registerQueueDatabase, stopQueue } from './jobQueue.js';
import { ensureMigrated } from './migrate.js';
import { ensurePostgresMigrated } from './postgresMigrate.js';
import { closeDirectConnections, registerPostgres, registerSqliteFile } from './sqlBatch.js';

/**
 * The catalogue's client. Both providers' clients come from the same models (prisma/schema.prisma and
 * its PostgreSQL copy), so they share one API; the SQLite client's type stands for both.
 */
export type Db = PrismaClient;

/** Whether a DATABASE_URL names a PostgreSQL server (postgresql:// or postgres://) rather than a SQLite file. */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/**
 * Opens the catalogue database, applying pending migrations first: a SQLite file (the embedded default)
 * or a PostgreSQL server (a lab's shared catalogue), through Prisma's driver adapter. SQLite runs in WAL mode: the
 * dashboard reads while a worker thread writes a training run, without either waiting for the other;
 * synchronous=NORMAL is WAL's usual pairing (no corruption on a crash, one fsync per checkpoint instead
 * of one per transaction). `onQuery` sees every SQL statement (tests check query counts and plans).
 */
export async function openDb(databaseUrl: string, o: { onQuery?: (q: { query: string; params: string }) => void } = {}): Promise<Db> {
  const log: { log?: { emit: 'event'; level: 'query' }[] } = o.onQuery ? { log: [{ emit: 'event', level: 'query' }] } : {};
  if (isPostgresUrl(databaseUrl)) {
    await ensurePostgresMigrated(databaseUrl);
    const db = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }), errorFormat: 'minimal', ...log }) as unknown as Db;
    if (o.onQuery) db.$on('query' as never, o.onQuery as never);
    registerPostgres(db, databaseUrl);
    registerQueueDatabase(db, databaseUrl);
    return db;
  }
  await ensureMigrated(databaseUrl);
  const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePath(databaseUrl)}` });
  // Minimal error messages: the query and its reason, not a code frame of Prisma's bundle.
  const db = new PrismaClient({ adapter, errorFormat: 'minimal', ...log });
  if (o.onQuery) db.$on('query' as never, o.onQuery as never);
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  registerSqliteFile(db, sqlitePath(databaseUrl));
  return db;
}

/** Closes a catalogue client opened by openDb, its direct connections (sqlBatch.ts) included. */
export async function closeDb(db: Db): Promise<void> {
  await stopQueue(db);
  await closeDirectConnections(db);
  await db.$disconnect();
}
