import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readVolume } from '../../src/data/volumeCache.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { planSeries } from '../../src/dicom/series.js';
import { VolumePool } from '../../src/ingest/volumePool.js';
import { smallCohort, tempDir } from '../helpers.js';

describe('VolumePool (from the TypeScript sources, through the tsx worker entry)', () => {
  it('builds and caches a series volume on a worker thread', async () => {
    const dir = tempDir('pool');
    const [c] = smallCohort(path.join(dir, 'cohort'), 1);
    const series = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen');
    const instances = fs.readdirSync(series).map((name) => {
      const file = path.join(series, name);
      const parsed = parseDicom(fs.readFileSync(file), file);
      return { path: file, header: readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid) };
    });
    const [plan] = planSeries(instances, (p) => path.dirname(p)).plans;
    const pool = new VolumePool(2);
    try {
      const result = await pool.run(plan, { cacheDir: path.join(dir, 'cache'), name: 'syn001' });
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual([...readVolume(result.volumePath).data], [...c.hu]);
    } finally {
      await pool.close();
    }
  });

  it('reports a file that cannot be decoded instead of writing a volume', async () => {
    const dir = tempDir('pool-bad');
    smallCohort(path.join(dir, 'cohort'), 1);
    const series = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen');
    const files = fs.readdirSync(series).map((n) => path.join(series, n));
    const instances = files.map((file) => {
      const parsed = parseDicom(fs.readFileSync(file), file);
      return { path: file, header: readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid) };
    });
    const [plan] = planSeries(instances, (p) => path.dirname(p)).plans;
    fs.truncateSync(files[3], 2000);
    const pool = new VolumePool(1);
    try {
      const result = await pool.run(plan, { cacheDir: path.join(dir, 'cache'), name: 'bad' });
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.failures.length === 1 && result.failures[0].path === files[3]);
      const cache = path.join(dir, 'cache');
      const left = fs.existsSync(cache) ? fs.readdirSync(cache, { recursive: true }) : [];
      assert.deepEqual(left, [], 'nothing is written for a series with a bad file');
    } finally {
      await pool.close();
    }
  });
});
