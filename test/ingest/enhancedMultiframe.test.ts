import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readVolume } from '../../src/data/volumeCache.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import { cli, isolatedEnv, ok, PYTHON, ROOT, run, smallCohort, tempDir } from '../helpers.js';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'enhanced', 'make_enhanced_ct.py');

interface Shown {
  series: { seriesInstanceUid: string; geometry: unknown; volumePath: string; intensityRange: [number, number] }[];
}

describe('enhanced multi-frame CT', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let c: SyntheticCase;

  before(() => {
    dir = tempDir('enhanced');
    env = isolatedEnv(dir);
    c = smallCohort(path.join(dir, 'cohort'), 1)[0];
    // pydicom twins of the classic series (frames reversed, per-frame rescale); two that are not one volume.
    for (const variant of ['', 'mixed-orientation', 'mixed-spacing']) {
      const out = path.join(dir, 'enhanced', variant || 'twin');
      fs.mkdirSync(out, { recursive: true });
      run(PYTHON, [SCRIPT, path.join(dir, 'cohort', 'dicom', c.patientId), path.join(out, 'enhanced.dcm'), ...(variant ? [variant] : [])]);
    }
  });

  it('becomes a volume with the geometry and voxels of its classic twin', () => {
    ok(cli(['ingest', path.join(dir, 'cohort', 'dicom'), '-d', 'classic'], env));
    ok(cli(['ingest', path.join(dir, 'enhanced', 'twin'), '-d', 'enhanced'], env));
    const classic = (JSON.parse(ok(cli(['dataset', 'show', 'classic', '--json'], env))) as Shown).series[0];
    const enhanced = (JSON.parse(ok(cli(['dataset', 'show', 'enhanced', '--json'], env))) as Shown).series[0];
    assert.notEqual(enhanced.seriesInstanceUid, classic.seriesInstanceUid);
    assert.deepEqual(enhanced.geometry, classic.geometry);
    assert.deepEqual(enhanced.intensityRange, classic.intensityRange);
    const a = readVolume(classic.volumePath).data;
    const b = readVolume(enhanced.volumePath).data;
    assert.equal(b.length, a.length);
    let differ = 0;
    for (let v = 0; v < a.length; v++) if (a[v] !== b[v]) differ++;
    assert.equal(differ, 0, `${differ} voxels differ`);
  });

  it('reports frames that cannot form one volume, with the reason, and catalogues nothing of them', () => {
    const summary = JSON.parse(ok(cli(['ingest', path.join(dir, 'enhanced', 'mixed-orientation'), path.join(dir, 'enhanced', 'mixed-spacing'), '-d', 'mixed', '--json'], env))) as {
      series: number;
      issues: { severity: string; reason: string }[];
    };
    assert.equal(summary.series, 0);
    const errors = summary.issues.filter((i) => i.severity === 'error').map((i) => i.reason);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors.join('\n'), /frame 4 has orientation 1\\0\\0\\0\\0.9848078\\-0.1736482, frame 1 1\\0\\0\\0\\1\\0 \(per-frame Plane Orientation differs\)/);
    assert.match(errors.join('\n'), /frame 4 has pixel spacing [\d.]+\\[\d.]+ mm, frame 1 [\d.]+\\[\d.]+ \(per-frame Pixel Measures differ\)/);
  });
});
