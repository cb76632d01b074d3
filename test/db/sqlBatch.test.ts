import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDb, type Db } from '../../src/db/client.js';
import { runBatch, valuesPlaceholders, type SqlStatement } from '../../src/db/sqlBatch.js';
import { tempDir } from '../helpers.js';

async function scratchDb(): Promise<{ db: Db; file: string }> {
  const file = path.join(tempDir('sqlbatch'), 'batch.db');
  const db = await openDb(`file:${file}`);
  await db.$executeRawUnsafe('CREATE TABLE "T" ("k" TEXT PRIMARY KEY, "v" INTEGER NOT NULL)');
  return { db, file };
}

const rows = async (db: Db) => db.$queryRawUnsafe<{ k: string; v: bigint | number }[]>('SELECT "k", "v" FROM "T" ORDER BY "k"').then((r) => r.map((x) => [x.k, Number(x.v)]));

const BATCH: SqlStatement[] = [
  { sql: `INSERT INTO "T" ("k", "v") VALUES ${valuesPlaceholders(3, 2)}`, params: ['a', 1, 'b', 2, 'c', 3] },
  { sql: 'INSERT INTO "T" ("k", "v") VALUES (?, ?) ON CONFLICT ("k") DO UPDATE SET "v" = excluded."v"', params: ['b', 20] },
  { sql: 'DELETE FROM "T" WHERE "k" = ?', params: ['c'] },
];
const EXPECTED = [
  ['a', 1],
  ['b', 20],
];

describe('runBatch', () => {
  it('writes the statements in order, in one transaction, and Prisma reads them back', async () => {
    const { db } = await scratchDb();
    await runBatch(db, BATCH);
    assert.deepEqual(await rows(db), EXPECTED);
    await db.$disconnect();
  });

  it('leaves nothing written when a statement fails, and says why', async () => {
    const { db } = await scratchDb();
    await assert.rejects(runBatch(db, [BATCH[0], { sql: 'INSERT INTO "T" ("k", "v") VALUES (?, ?)', params: ['a', 9] }]), /UNIQUE constraint failed: T\.k/);
    assert.deepEqual(await rows(db), []);
    await db.$disconnect();
  });

  it('goes through Prisma, with the same result, while another connection holds the write lock', async () => {
    const { db, file } = await scratchDb();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    // The direct attempt happens synchronously in this call and finds the lock taken; the Prisma
    // fallback runs after this tick, once the lock is released below.
    const pending = runBatch(db, BATCH);
    other.exec('COMMIT');
    other.close();
    await pending;
    assert.deepEqual(await rows(db), EXPECTED);
    await db.$disconnect();
  });
});
