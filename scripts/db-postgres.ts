import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { derivePostgresSchema, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA, SQLITE_SCHEMA } from '../src/db/postgresSchema.js';

/**
 * `npm run db:postgres -- schema`: writes prisma/postgresql/schema.prisma from prisma/schema.prisma (the
 * one hand-edited schema; the PostgreSQL copy differs only in provider and client output).
 * `npm run db:postgres -- migration NAME`: then writes the next PostgreSQL migration, the SQL that
 * Prisma's `migrate diff` (offline, JS engine) gives from the last migration's schema snapshot to the
 * current schema, with the snapshot beside it. Run both after changing prisma/schema.prisma (and its
 * SQLite migration); test/db/postgresSchema.test.ts fails until they are.
 */
const [command, name] = process.argv.slice(2);
const root = path.resolve(import.meta.dirname, '..');
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`wrote ${path.relative(root, file)}`);
};

const schema = derivePostgresSchema(fs.readFileSync(path.join(root, SQLITE_SCHEMA), 'utf8'));
if (command === 'schema' || command === 'migration') write(path.join(root, POSTGRES_SCHEMA), schema);
if (command === 'migration') {
  if (!name || !/^[a-z0-9_]{1,60}$/.test(name)) throw new Error('usage: npm run db:postgres -- migration NAME (lower case, digits, _)');
  const dir = path.join(root, POSTGRES_MIGRATIONS);
  const previous = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((d) => /^\d{14}_/.test(d))
        .sort()
    : [];
  const from = previous.length ? ['--from-schema-datamodel', path.join(dir, previous[previous.length - 1], 'schema.prisma')] : ['--from-empty'];
  const prisma = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
  // Prisma's schema engine opens the adapter's connection even between two datamodels (nothing is
  // read or written): DATABASE_URL when it is PostgreSQL, else this machine's server.
  const url = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? (process.env.DATABASE_URL as string) : 'postgresql://postgres@127.0.0.1:5432/postgres';
  const sql = execFileSync(process.execPath, [prisma, 'migrate', 'diff', '--config', path.join(root, 'prisma', 'postgresql', 'prisma.config.ts'), ...from, '--to-schema-datamodel', path.join(root, POSTGRES_SCHEMA), '--script'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    encoding: 'utf8',
  });
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  write(path.join(dir, `${stamp}_${name}`, 'migration.sql'), sql);
  write(path.join(dir, `${stamp}_${name}`, 'schema.prisma'), schema);
} else if (command !== 'schema') {
  console.error('usage: npm run db:postgres -- schema | migration NAME');
  process.exit(2);
}
