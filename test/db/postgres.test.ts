import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { derivePostgresSchema, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA, SQLITE_SCHEMA } from '../../src/db/postgresSchema.js';
import { postgresMigrations } from '../../src/db/postgresMigrate.js';
import type { RunReport } from '../../src/train/runReport.js';
import { cli, isolatedEnv, ok, postgresDatabase, ROOT, smallCohort, tempDir } from '../helpers.js';

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop() as string) as T;
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** What must be the same whichever database holds the catalogue (ids, dates and timings aside). */
const comparable = (r: RunReport) => ({
  status: r.status,
  split: r.split,
  epochs: r.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valDice: e.valDice, weights: e.weights })),
  test: r.test,
  cases: r.cases.map(({ split, patientId, className, dice, sensitivity }) => ({ split, patientId, className, dice, sensitivity })),
  operatingPoint: r.operatingPoint,
});

describe('the catalogue on PostgreSQL', () => {
  it('derives its schema from prisma/schema.prisma, and its last migration brings a database to that schema', () => {
    const schema = derivePostgresSchema(read(SQLITE_SCHEMA));
    assert.equal(read(POSTGRES_SCHEMA), schema, 'prisma/postgresql/schema.prisma is stale: npm run db:postgres -- schema');
    const migrations = postgresMigrations();
    assert.ok(migrations.length >= 1);
    const last = migrations[migrations.length - 1];
    assert.equal(read(path.join(POSTGRES_MIGRATIONS, last, 'schema.prisma')), schema, 'prisma/schema.prisma changed since the last PostgreSQL migration: npm run db:postgres -- migration NAME');
    // The committed SQL is what Prisma's own diff gives (offline) from the previous migration's schema.
    const previous = migrations.length > 1 ? ['--from-schema-datamodel', path.join(ROOT, POSTGRES_MIGRATIONS, migrations[migrations.length - 2], 'schema.prisma')] : ['--from-empty'];
    const sql = execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'),
        'migrate',
        'diff',
        '--config',
        path.join(ROOT, 'prisma', 'postgresql', 'prisma.config.ts'),
        ...previous,
        '--to-schema-datamodel',
        path.join(ROOT, POSTGRES_SCHEMA),
        '--script',
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: postgresDatabase('diff'), PRISMA_HIDE_UPDATE_MESSAGE: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    assert.equal(read(path.join(POSTGRES_MIGRATIONS, last, 'migration.sql')), sql);
  });

  it('applies its migrations once, recorded as Prisma records them, when three processes open it at once; a changed migration is refused', async () => {
    const url = postgresDatabase('migrate');
    const env = { ...isolatedEnv(tempDir('pg-migrate')), DATABASE_URL: url };
    const runs = [0, 1, 2].map(
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'dataset', 'list', '--json'], { cwd: ROOT, env, stdio: 'ignore' });
          child.on('exit', resolve);
        }),
    );
    assert.deepEqual(await Promise.all(runs), [0, 0, 0]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query<{ migration_name: string; checksum: string }>('SELECT "migration_name", "checksum" FROM "_prisma_migrations" ORDER BY "migration_name"')).rows;
      assert.deepEqual(
        rows.map((r) => r.migration_name),
        postgresMigrations(),
      );
      for (const r of rows)
        assert.equal(
          r.checksum,
          createHash('sha256')
            .update(read(path.join(POSTGRES_MIGRATIONS, r.migration_name, 'migration.sql')))
            .digest('hex'),
        );
      await client.query(`UPDATE "_prisma_migrations" SET "checksum" = 'x' WHERE "migration_name" = $1`, [rows[0].migration_name]);
    } finally {
      await client.end();
    }
    const r = cli(['dataset', 'list'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`migration ${postgresMigrations()[0]} was changed after it was applied to this database`));
    const unreachable = cli(['dataset', 'list'], { ...env, DATABASE_URL: 'postgresql://postgres@127.0.0.1:9/none' });
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /cannot connect to the PostgreSQL catalogue postgresql:\/\/postgres@127\.0\.0\.1:9\/none: /);
    assert.equal(unreachable.stderr.trim().split('\n').length, 1, unreachable.stderr);
  });

  describe('the same cohort on SQLite and on PostgreSQL', () => {
    let dir: string;
    let sqlite: NodeJS.ProcessEnv;
    let postgres: NodeJS.ProcessEnv;
    const config = { dataset: 'tiny', epochs: 2, batchesPerEpoch: 4, sampling: { batchSize: 4, patchSize: 32 }, model: { depth: 2, baseFilters: 8 }, sensitivityTargets: { '2': 0.8 } };
    before(() => {
      dir = tempDir('pg-flow');
      sqlite = isolatedEnv(path.join(dir, 'sqlite'));
      postgres = { ...isolatedEnv(path.join(dir, 'postgres')), DATABASE_URL: postgresDatabase('flow') };
      smallCohort(path.join(dir, 'cohort'), 5);
      fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(config));
    });

    it('ingests the same dataset (series, geometry, classes, voxel counts), a rerun skipping every file', () => {
      const shows = [sqlite, postgres].map((env) => {
        ok(cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'tiny', '--labels', path.join(dir, 'cohort', 'labels')], env));
        const again = JSON.parse(ok(cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'tiny', '--labels', path.join(dir, 'cohort', 'labels'), '--json'], env))) as { unchangedFiles: number; files: number };
        assert.ok(again.files > 0 && again.unchangedFiles === again.files, `a rerun finds every file unchanged: ${again.unchangedFiles} of ${again.files}`);
        const show = JSON.parse(ok(cli(['dataset', 'show', 'tiny', '--json'], env))) as { series: { seriesInstanceUid: string; geometry: unknown; dtype: string }[]; classMap: unknown; classVoxels: Record<string, number> };
        return {
          series: show.series.map(({ seriesInstanceUid, geometry, dtype }) => ({ seriesInstanceUid, geometry, dtype })).sort((a, b) => a.seriesInstanceUid.localeCompare(b.seriesInstanceUid)),
          classMap: show.classMap,
          classVoxels: show.classVoxels,
        };
      });
      assert.equal(shows[0].series.length, 5);
      assert.deepEqual(shows[1], shows[0]);
    });

    it('trains the same run, bit for bit, and lists, shows and exports it', () => {
      const reports = [sqlite, postgres].map((env) => {
        const line = lastJson<{ runId: string; status: string }>(ok(cli(['train', '--config', path.join(dir, 'run.json'), '--json'], env)));
        assert.equal(line.status, 'completed');
        const list = lastJson<{ runs: { id: string }[] }>(ok(cli(['runs', 'list', '--json'], env)));
        assert.deepEqual(
          list.runs.map((r) => r.id),
          [line.runId],
        );
        ok(cli(['export', line.runId, '--out', path.join(dir, `export-${env === sqlite ? 'sqlite' : 'postgres'}`)], env));
        return JSON.parse(ok(cli(['runs', 'show', line.runId, '--json'], env))) as RunReport;
      });
      assert.ok(reports[0].epochs.length === 2 && reports[0].cases.length > 0);
      assert.deepEqual(comparable(reports[1]), comparable(reports[0]));
    });

    it('copies the SQLite catalogue into an empty PostgreSQL one, every table verified, and refuses a second copy', () => {
      const target = { ...sqlite, DATABASE_URL: postgresDatabase('copy') };
      const file = path.join(dir, 'sqlite', 'db.sqlite');
      const copied = JSON.parse(ok(cli(['db', 'migrate-from-sqlite', file, '--json'], target))) as { tables: { table: string; rows: number; checksum: string }[] };
      const rows = Object.fromEntries(copied.tables.map((t) => [t.table, t.rows]));
      assert.equal(rows.series, 5);
      assert.equal(rows.run, 1);
      assert.equal(rows.runEpoch, 2);
      assert.ok(rows.batchTrace >= 8 && rows.caseMetric > 0 && rows.sourceFile > 0 && rows.instance > 0);
      assert.ok(rows.auditEvent >= 2, 'the audit log comes along (the ingest and the run)');
      assert.ok('user' in rows && 'apiToken' in rows && 'worker' in rows, 'accounts and workers are copied too');
      const id = lastJson<{ runs: { id: string }[] }>(ok(cli(['runs', 'list', '--json'], sqlite))).runs[0].id;
      const [original, copy] = [sqlite, target].map((env) => JSON.parse(ok(cli(['runs', 'show', id, '--json'], env))) as RunReport);
      assert.deepEqual(copy, original, 'the copy shows the run exactly as the original');
      const again = cli(['db', 'migrate-from-sqlite', file], target);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /the target catalogue is not empty \(\d+ datasets and runs\): copy into a new, empty database/);
      const notPostgres = cli(['db', 'migrate-from-sqlite', file], sqlite);
      assert.match(notPostgres.stderr, /DATABASE_URL must name the PostgreSQL catalogue to copy into/);
    });
  });
});
