import { loadConfig } from '../config.js';
import { closeDb, openDb, type Db } from '../db/client.js';

/** Opens the catalogue (migrating it when needed) for one command and always closes it. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(loadConfig().databaseUrl);
  try {
    return await fn(db);
  } finally {
    await closeDb(db);
  }
}
