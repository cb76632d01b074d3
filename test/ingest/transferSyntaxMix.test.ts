import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { DatasetInfo } from '../../src/data/datasetInfo.js';
import { readVolume } from '../../src/data/volumeCache.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

/** dcmtk/gdcm conversions, one per slice in turn: a series whose slices use every lossless syntax. */
const LOSSLESS: [string, string[]][] = [
  ['dcmconv', ['+ti']],
  ['dcmconv', ['+te']],
  ['dcmconv', ['+tb']],
  ['dcmconv', ['+td']],
  ['dcmcrle', []],
  ['dcmcjpeg', ['+el']],
  ['dcmcjpeg', ['+e1']],
  ['dcmcjpls', ['+el']],
  ['gdcmconv', ['--j2k']],
  ['dcmconv', ['-F', '+te']],
];
const LOSSY: [string, string[]][] = [
  ['dcmcjpeg', ['+ee']],
  ['dcmcjpls', ['+en', '+md', '2']],
  ['gdcmconv', ['--j2k', '--lossy', '-r', '10']],
];
/**
 * HU error bounds per lossy transfer syntax: [max, mean] over a slice. These bound the codecs' own loss
 * (the single-file tests check that decoding equals the tools' own decompression); JPEG 2000 at 10:1 on
 * small 64x64 slices with 12 HU noise loses about the noise level on average and most at edges.
 */
const HU_TOLERANCE: Record<string, [number, number]> = {
  '1.2.840.10008.1.2.4.51': [40, 4],
  '1.2.840.10008.1.2.4.81': [2, 2],
  '1.2.840.10008.1.2.4.91': [250, 20],
};

describe('ingest of a folder mixing every transfer syntax and junk', () => {
  let dir: string;
  let cases: SyntheticCase[];
  let summary: IngestSummary;
  let info: DatasetInfo;
  before(() => {
    dir = tempDir('mix');
    const env = isolatedEnv(dir);
    cases = smallCohort(path.join(dir, 'cohort'), 2);
    const convert = (patient: string, tool: (i: number) => [string, string[]]) => {
      const series = path.join(dir, 'cohort', 'dicom', patient, 'CT_abdomen');
      fs.readdirSync(series)
        .sort()
        .forEach((name, i) => {
          const file = path.join(series, name);
          const [cmd, args] = tool(i);
          run(cmd, [...args, file, `${file}.tmp`]);
          fs.renameSync(`${file}.tmp`, file);
        });
    };
    convert('SYN001', (i) => LOSSLESS[i % LOSSLESS.length]);
    convert('SYN002', (i) => LOSSY[i % LOSSY.length]);
    fs.writeFileSync(path.join(dir, 'cohort', 'dicom', 'DICOMDIR.txt'), 'not dicom');
    fs.writeFileSync(path.join(dir, 'cohort', 'dicom', 'empty'), '');
    const r = cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'mix', '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as IngestSummary;
    info = JSON.parse(cli(['dataset', 'show', 'mix', '--json'], env).stdout) as DatasetInfo;
  });

  it('reports the junk and nothing else', () => {
    assert.deepEqual(
      summary.issues
        .filter((i) => i.severity === 'error')
        .map((i) => path.basename(i.path))
        .sort(),
      ['DICOMDIR.txt', 'empty'],
    );
    assert.equal(summary.series, 2);
  });

  it('builds the lossless-mix series with HU identical to the generated volume', () => {
    const s = info.series.find((x) => x.patientId === 'SYN001')!;
    assert.deepEqual(s.geometry.size, cases[0].geometry.size);
    assert.deepEqual([...readVolume(s.volumePath).data], [...cases[0].hu]);
  });

  it('builds the lossy-mix series within the codecs stated HU error', () => {
    const s = info.series.find((x) => x.patientId === 'SYN002')!;
    const vol = readVolume(s.volumePath).data;
    const [nx, ny] = cases[1].geometry.size;
    const perSlice = nx * ny;
    // Slice k is the instance at the k-th position (dcmtk gives lossy files new SOP Instance UIDs).
    const series = path.join(dir, 'cohort', 'dicom', 'SYN002', 'CT_abdomen');
    const syntaxOfSlice = new Map<number, string>();
    for (const name of fs.readdirSync(series)) {
      const file = path.join(series, name);
      const parsed = parseDicom(fs.readFileSync(file), file);
      const h = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
      const g = cases[1].geometry;
      syntaxOfSlice.set(Math.round((h.framePositions![0][2] - g.origin[2]) / g.spacing[2]), h.transferSyntaxUid);
    }
    assert.deepEqual(new Set(syntaxOfSlice.values()), new Set(Object.keys(HU_TOLERANCE)));
    for (let k = 0; k < cases[1].geometry.size[2]; k++) {
      const [maxTolerance, meanTolerance] = HU_TOLERANCE[syntaxOfSlice.get(k)!];
      let worst = 0;
      let sum = 0;
      for (let p = 0; p < perSlice; p++) {
        const e = Math.abs(vol[k * perSlice + p] - cases[1].hu[k * perSlice + p]);
        worst = Math.max(worst, e);
        sum += e;
      }
      assert.ok(worst <= maxTolerance, `slice ${k} (${syntaxOfSlice.get(k)}): max HU error ${worst} > ${maxTolerance}`);
      assert.ok(sum / perSlice <= meanTolerance, `slice ${k} (${syntaxOfSlice.get(k)}): mean HU error ${(sum / perSlice).toFixed(2)} > ${meanTolerance}`);
    }
  });
});
