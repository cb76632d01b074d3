import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/prisma/index.js';
import { sqlitePath } from '../config.js';
import { ensureMigrated } from './migrate.js';
import { registerSqliteFile } from './sqlBatch.js';

export type Db = PrismaClient;

/**
 * Opens the catalogue database, applying pending migrations first. SQLite runs in WAL mode: the
 * dashboard reads while a worker thread writes a training run, without either waiting for the other;
 * synchronous=NORMAL is WAL's usual pairing (no corruption on a crash, one fsync per checkpoint instead
 * of one per transaction). `onQuery` sees every SQL statement (tests check query counts and plans).
 */
export async function openDb(databaseUrl: string, o: { onQuery?: (q: { query: string; params: string }) => void } = {}): Promise<Db> {
  await ensureMigrated(databaseUrl);
  const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePath(databaseUrl)}` });
  const db = new PrismaClient({ adapter, ...(o.onQuery ? { log: [{ emit: 'event' as const, level: 'query' as const }] } : {}) });
  if (o.onQuery) db.$on('query' as never, o.onQuery as never);
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  registerSqliteFile(db, sqlitePath(databaseUrl));
  return db;
}
