import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDb } from '../../src/db/client.js';
import { checkedInMigrations } from '../../src/db/migrate.js';
import { tempDir } from '../helpers.js';

describe('openDb', () => {
  it('applies the checked-in migrations to a fresh database, once', async () => {
    const file = path.join(tempDir('db'), 'nested', 'fresh.db');
    const db = await openDb(`file:${file}`);
    assert.equal(await db.dataset.count(), 0);
    await db.$disconnect();
    const again = await openDb(`file:${file}`);
    await again.$disconnect();
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare('SELECT migration_name FROM _prisma_migrations').all() as { migration_name: string }[];
    raw.close();
    assert.deepEqual(rows.map((r) => r.migration_name), checkedInMigrations());
  });

  it('refuses a non-file DATABASE_URL with the value in the message', async () => {
    await assert.rejects(openDb('postgres://x'), /must be a SQLite file: URL.*postgres:\/\/x/);
  });
});
