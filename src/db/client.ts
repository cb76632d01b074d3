import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/prisma/index.js';
import { sqlitePath } from '../config.js';
import { ensureMigrated } from './migrate.js';

export type Db = PrismaClient;

/** Opens the catalogue database, applying pending migrations first. */
export async function openDb(databaseUrl: string): Promise<Db> {
  await ensureMigrated(databaseUrl);
  const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePath(databaseUrl)}` });
  return new PrismaClient({ adapter });
}
