import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildVolume, streamInt16Slices } from '../../src/data/volume.js';
import { readVolume, readVolumeHeader, writeVolume } from '../../src/data/volumeCache.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { planSeries, type SeriesPlan } from '../../src/dicom/series.js';
import { buildAndCacheVolume } from '../../src/ingest/volumeJob.js';
import { smallCohort, tempDir } from '../helpers.js';

function plan(files: string[]): SeriesPlan {
  const instances = files.map((file) => {
    const parsed = parseDicom(fs.readFileSync(file), file);
    return { path: file, header: readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid) };
  });
  return planSeries(instances, (p) => path.dirname(p)).plans[0];
}

/** The cache files the whole-volume path writes for a plan, for comparison. */
function buffered(p: SeriesPlan, dir: string): string {
  const v = buildVolume(p);
  assert.equal(v.failures.length, 0);
  return writeVolume(dir, 'ref', 'image', p.geometry, v.data, [v.min, v.max]);
}

describe('buildAndCacheVolume', () => {
  const dir = tempDir('volumejob');
  smallCohort(path.join(dir, 'cohort'), 1);
  const series = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen');
  const files = fs.readdirSync(series).map((n) => path.join(series, n));

  it('streams a CT series to the same bytes, checksum and range as the whole-volume path', () => {
    const p = plan(files);
    const result = buildAndCacheVolume(p, { cacheDir: path.join(dir, 'streamed'), name: 's' });
    assert.ok(result.ok);
    const want = buffered(p, path.join(dir, 'buffered'));
    const got = readVolumeHeader(result.volumePath);
    const ref = readVolumeHeader(want);
    assert.equal(got.sha256, ref.sha256);
    assert.deepEqual(got.range, ref.range);
    assert.equal(got.dtype, 'int16');
    assert.deepEqual([...readVolume(result.volumePath).data], [...readVolume(want).data]);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'streamed')).sort(), ['s.json', 's.raw'], 'no temp file is left');
  });

  it('leaves a series with a missing slice to the whole-volume path, which interpolates it', () => {
    const sorted = [...files].sort();
    const gap = plan(sorted.filter((_, i) => i !== 5));
    assert.ok(gap.slices.length < gap.geometry.size[2], 'the plan has a gap');
    assert.equal(
      streamInt16Slices(gap, () => assert.fail('no slice is streamed')),
      null,
    );
    const result = buildAndCacheVolume(gap, { cacheDir: path.join(dir, 'gap'), name: 'g' });
    assert.ok(result.ok);
    assert.equal(readVolumeHeader(result.volumePath).sha256, readVolumeHeader(buffered(gap, path.join(dir, 'gap-ref'))).sha256);
  });
});
