import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDb } from '../../src/db/client.js';
import { checkedInMigrations } from '../../src/db/migrate.js';
import { ROOT, run, tempDir } from '../helpers.js';

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
    assert.deepEqual(
      rows.map((r) => r.migration_name),
      checkedInMigrations(),
    );
  });

  it('refuses a DATABASE_URL that is neither a SQLite file nor PostgreSQL, with the value in the message', async () => {
    await assert.rejects(openDb('mysql://x'), /must be a SQLite file: URL \(file:\.\/data\/segfusion\.db\) or a PostgreSQL one \(postgresql:\/\/USER@HOST:5432\/DB\), got "mysql:\/\/x"/);
  });
});

/** Tables, columns and indexes of a SQLite file, for comparing schemas. */
function describeSchema(file: string): Record<string, unknown> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return Object.fromEntries(
      tables.map((t) => [
        t,
        {
          columns: db.prepare(`PRAGMA table_info("${t}")`).all(),
          indexes: (db.prepare(`PRAGMA index_list("${t}")`).all() as { name: string; unique: number }[]).map((i) => [i.name, i.unique]).sort(),
        },
      ]),
    );
  } finally {
    db.close();
  }
}

describe('checked-in migrations', () => {
  it('produce exactly the schema in prisma/schema.prisma', async () => {
    const dir = tempDir('schema');
    const migrated = path.join(dir, 'migrated.db');
    await (await openDb(`file:${migrated}`)).$disconnect();
    const sql = run(process.execPath, [path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', path.join(ROOT, 'prisma', 'schema.prisma'), '--script'], {
      // Without a DATABASE_URL the Prisma CLI tries to download a query engine.
      env: { ...process.env, DATABASE_URL: `file:${path.join(dir, 'unused.db')}` },
    });
    const fromSchema = path.join(dir, 'from-schema.db');
    const db = new Database(fromSchema);
    db.exec(sql);
    db.close();
    assert.deepEqual(describeSchema(migrated), describeSchema(fromSchema));
  });
});
