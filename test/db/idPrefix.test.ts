import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../../src/db/client.js';
import { AmbiguousIdError, resolveRunId, resolveStudyId } from '../../src/db/idPrefix.js';
import { postgresDatabase, tempDir } from '../helpers.js';

const RUNS = ['abcd1111-0000-4000-8000-000000000001', 'abcd2222-0000-4000-8000-000000000002', 'ef010000-0000-4000-8000-000000000003', 'ef01'];
const STUDY = '5eed0000-0000-4000-8000-000000000009';

// [typed, resolved run id or an error]
const CASES: [string, string | RegExp][] = [
  [RUNS[0], RUNS[0]], // a full id
  ['abcd2', RUNS[1]], // 5 characters that start one id
  ['ef010', RUNS[2]],
  ['ef01', 'ef01'], // an exact id wins over the ids it starts
  ['abc', 'abc'], // under 4 characters: taken as typed, for "does not exist" to name it
  ['0000', '0000'], // starts no id
  ['ABCD2', 'ABCD2'], // upper case is not how ids are written
  ['ab%d', 'ab%d'], // a LIKE wildcard is not a prefix
  ['abcd1111-0000', RUNS[0]],
  ['abcd-', 'abcd-'],
];

for (const kind of ['SQLite', 'PostgreSQL'] as const) {
  describe(`resolveRunId and resolveStudyId (${kind})`, () => {
    let db: Db;
    before(async () => {
      db = await openDb(kind === 'SQLite' ? `file:${path.join(tempDir('idprefix'), 'db.sqlite')}` : postgresDatabase('idprefix'));
      await db.dataset.create({ data: { id: 'ds', name: 'd' } });
      for (const id of RUNS) await db.run.create({ data: { id, datasetId: 'ds', status: 'queued', config: '{}', strategy: 'static', seed: 1, totalEpochs: 1 } });
      await db.runStudy.create({ data: { id: STUDY, name: 's', datasetId: 'ds', baseConfig: '{}', arms: '[]', seeds: 1, referenceArm: 'static' } });
    });
    after(async () => db.$disconnect());

    for (const [typed, want] of CASES) {
      it(`run "${typed}" -> ${want}`, async () => assert.equal(await resolveRunId(db, typed), want));
    }
    it('names the ids an ambiguous prefix starts, and asks for more of it', async () => {
      await assert.rejects(resolveRunId(db, 'abcd'), (e: unknown) => e instanceof AmbiguousIdError && e.message === `run id abcd is ambiguous: it starts 2 ids (${RUNS[0]}, ${RUNS[1]}); give more of it`);
    });
    it('resolves studies the same way', async () => {
      assert.equal(await resolveStudyId(db, '5eed'), STUDY);
      assert.equal(await resolveStudyId(db, 'abcd1'), 'abcd1', 'a run id is not a study id');
    });
  });
}

describe('AmbiguousIdError', () => {
  it('lists up to 4 of the ids', () => {
    assert.equal(new AmbiguousIdError('run', 'ab12', ['ab12a', 'ab12b']).message, 'run id ab12 is ambiguous: it starts 2 ids (ab12a, ab12b); give more of it');
    assert.equal(new AmbiguousIdError('run', 'ab12', ['1', '2', '3', '4', '5']).message, 'run id ab12 is ambiguous: it starts more than 4 ids (1, 2, 3, 4); give more of it');
  });
});
