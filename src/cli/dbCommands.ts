import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { table } from './tables.js';

export function addDbCommands(program: Command): void {
  const db = program.command('db').description('the catalogue database');
  db.command('migrate-from-sqlite')
    .description('copy an embedded SQLite catalogue (e.g. data/segfusion.db) into the empty PostgreSQL one of DATABASE_URL, every table verified by row count and checksum')
    .argument('<file>', 'the SQLite catalogue file')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const [{ closeDb, isPostgresUrl, openDb }, { copyCatalogue }] = await Promise.all([import('../db/client.js'), import('../db/migrateFromSqlite.js')]);
      const target = loadConfig().databaseUrl;
      if (!isPostgresUrl(target)) throw new Error(`DATABASE_URL must name the PostgreSQL catalogue to copy into (postgresql://...), got "${target}"`);
      const source = path.resolve(file);
      if (!fs.statSync(source, { throwIfNoEntry: false })?.isFile()) throw new Error(`${source}: no such SQLite catalogue file`);
      // The source is brought to the current schema first (as any command would), then only read.
      const from = await openDb(`file:${source}`);
      try {
        const to = await openDb(target);
        try {
          const copies = await copyCatalogue(from, to, (c) => o.json || process.stderr.write(`${c.table}: ${c.rows} rows, checksum ${c.checksum.slice(0, 12)}… verified\n`));
          if (o.json) console.log(JSON.stringify({ source, tables: copies }));
          else
            console.log(
              table(
                ['table', 'rows', 'checksum (sha256, verified on both sides)'],
                copies.map((c) => [c.table, c.rows, c.checksum]),
              ),
            );
        } finally {
          await closeDb(to);
        }
      } finally {
        await closeDb(from);
      }
    });
}
