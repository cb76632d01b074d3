import { createHash } from 'node:crypto';
import type { Db } from './client.js';
import { runBatch, valuesPlaceholders } from './sqlBatch.js';

/**
 * Every table of the catalogue in the order their rows can be inserted: each after the tables it
 * refers to (Dataset first; a Run after its RunStudy; a Job after its Run).
 */
export const TABLES = [
  'dataset',
  'patient',
  'study',
  'series',
  'instance',
  'sourceFile',
  'labelMap',
  'ingestRun',
  'ingestIssue',
  'runStudy',
  'run',
  'runEpoch',
  'batchTrace',
  'caseMetric',
  'artifact',
  'job',
  'user',
  'apiToken',
  'session',
  'auditEvent',
  'worker',
] as const;
export type Table = (typeof TABLES)[number];

export interface TableCopy {
  table: Table;
  rows: number;
  /** sha256 of the rows in id order, each as JSON with dates in ISO form: equal on both sides. */
  checksum: string;
}

export class CatalogueCopyError extends Error {
  override name = 'CatalogueCopyError';
}

/** The one model API this uses, the same for every table. */
interface Delegate {
  count(): Promise<number>;
  findMany(args: { orderBy: { id: 'asc' }; take: number; skip?: number; cursor?: { id: string } }): Promise<Record<string, unknown>[]>;
}
const delegate = (db: Db, table: Table) => (db as unknown as Record<Table, Delegate>)[table];

const PAGE = 1000;

/** Rows of a table in id order, a page at a time. */
async function* pages(db: Db, table: Table): AsyncGenerator<Record<string, unknown>[]> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await delegate(db, table).findMany({ orderBy: { id: 'asc' }, take: PAGE, ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}) });
    if (!rows.length) return;
    yield rows;
    cursor = rows[rows.length - 1].id as string;
  }
}

/**
 * Inserts rows with one multi-row INSERT through the catalogue's direct connection (sqlBatch.ts).
 * Not Prisma's createMany: its query engine parses float parameters without correct rounding, so a
 * double such as a file's mtimeMs (1796219291137.4612) arrives one unit in the last place off
 * (1796219291137.461), and the copy would not be the original. node-postgres sends the exact value.
 */
async function insertRows(target: Db, table: Table, rows: Record<string, unknown>[]): Promise<void> {
  const columns = Object.keys(rows[0]);
  const value = (v: unknown): string | number | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? String(v) : (v as string | number));
  const name = `${table[0].toUpperCase()}${table.slice(1)}`;
  await runBatch(target, [{ sql: `INSERT INTO "${name}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${valuesPlaceholders(rows.length, columns.length)}`, params: rows.flatMap((r) => columns.map((c) => value(r[c]))) }]);
}

/** Row values canonically: keys sorted, dates as ISO strings (both databases keep milliseconds). */
const canonical = (row: Record<string, unknown>) =>
  JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => [k, row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k]]),
  );

/** Rows and checksum of a table, read in id order. */
export async function tableChecksum(db: Db, table: Table): Promise<{ rows: number; checksum: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const page of pages(db, table)) {
    for (const row of page) hash.update(`${canonical(row)}\n`);
    rows += page.length;
  }
  return { rows, checksum: hash.digest('hex') };
}

/**
 * Copies an embedded (SQLite) catalogue into an empty one on another database (PostgreSQL), every
 * table in TABLES order, a thousand rows a statement, then verifies each table: the same number of
 * rows and the same checksum read back from the target as from the source. The source is only read.
 * A target that already holds a dataset or a run is refused (a second copy would clash on ids).
 * Files (the volume cache, run folders) are not in the catalogue: they stay under the data folder,
 * which the new setup must point to (SEGFUSION_DATA_DIR).
 */
export async function copyCatalogue(source: Db, target: Db, onTable: (copy: TableCopy) => void = () => undefined): Promise<TableCopy[]> {
  const existing = (await target.dataset.count()) + (await target.run.count());
  if (existing > 0) throw new CatalogueCopyError(`the target catalogue is not empty (${existing} datasets and runs): copy into a new, empty database`);
  const copies: TableCopy[] = [];
  for (const table of TABLES) {
    const hash = createHash('sha256');
    let rows = 0;
    for await (const page of pages(source, table)) {
      for (const row of page) hash.update(`${canonical(row)}\n`);
      try {
        await insertRows(target, table, page);
      } catch (err) {
        throw new CatalogueCopyError(`copying table ${table} failed after ${rows} rows: ${(err as Error).message}; the target now holds a partial copy: drop it and copy again`);
      }
      rows += page.length;
    }
    const copy = { table, rows, checksum: hash.digest('hex') };
    const back = await tableChecksum(target, table);
    if (back.rows !== rows || back.checksum !== copy.checksum) {
      throw new CatalogueCopyError(`table ${table}: ${rows} rows copied but the target reads back ${back.rows} rows with checksum ${back.checksum.slice(0, 12)}… against ${copy.checksum.slice(0, 12)}…`);
    }
    copies.push(copy);
    onTable(copy);
  }
  return copies;
}
