import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { initCodecs } from '../../src/dicom/codecs.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { monochrome1Mirror } from '../../src/dicom/modalityLut.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { decodePixels } from '../../src/dicom/pixels.js';
import type { DatasetInfo } from '../../src/data/datasetInfo.js';
import { readVolume } from '../../src/data/volumeCache.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import { PYTHON, ROOT, cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

function decode(file: string) {
  const parsed = parseDicom(fs.readFileSync(file), file);
  const header = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  return { header, px: decodePixels(parsed.dataSet, header, file), part10: parsed.part10 };
}

describe('pixel-format variants (pydicom, dcmtk and gdcm made them)', () => {
  let dir: string;
  let v: string;
  let cases: SyntheticCase[];
  let expected: { signed_junk: number[]; rgb: number[] };
  before(async () => {
    await initCodecs();
    dir = tempDir('variants');
    cases = smallCohort(path.join(dir, 'cohort'), 1);
    v = path.join(dir, 'v');
    run(PYTHON, [path.join(ROOT, 'test', 'fixtures', 'make-variants.py'), path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen'), v]);
    run('gdcmconv', ['--raw', '--planar-configuration', '1', path.join(v, 'rgb.dcm'), path.join(v, 'rgb_planar.dcm')]);
    run('dcmcrle', [path.join(v, 'rgb.dcm'), path.join(v, 'rgb_rle.dcm')]);
    run('dcmcjpeg', ['+eb', path.join(v, 'rgb.dcm'), path.join(v, 'rgb_jpeg.dcm')]);
    const slice = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen', 'IM0001');
    run('dcmconv', ['-F', '+ti', slice, path.join(v, 'bare_implicit')]);
    run('dcmconv', ['-F', '+te', slice, path.join(v, 'bare_explicit')]);
    expected = JSON.parse(fs.readFileSync(path.join(v, 'expected.json'), 'utf8')) as typeof expected;
  });

  it('masks junk above BitsStored and sign-extends signed 12-bit values', () => {
    assert.deepEqual([...decode(path.join(v, 'signed_junk.dcm')).px.values], expected.signed_junk);
  });

  for (const [file, note] of [
    ['rgb.dcm', 'interleaved'],
    ['rgb_planar.dcm', 'planar configuration 1'],
    ['rgb_rle.dcm', 'RLE'],
  ] as const) {
    it(`decodes RGB ${note} to interleaved samples exactly`, () => {
      const { px, header } = decode(path.join(v, file));
      assert.equal(header.samplesPerPixel, 3);
      assert.deepEqual([...px.values], expected.rgb);
    });
  }

  it('decodes YBR_FULL_422 JPEG baseline to RGB within JPEG error', () => {
    const { px } = decode(path.join(v, 'rgb_jpeg.dcm'));
    assert.equal(px.photometric, 'RGB');
    let sum = 0;
    for (let i = 0; i < px.values.length; i++) sum += Math.abs(px.values[i] - expected.rgb[i]);
    const mean = sum / px.values.length;
    assert.ok(mean < 6, `mean absolute error ${mean.toFixed(2)} per sample`);
  });

  for (const bare of ['bare_implicit', 'bare_explicit']) {
    it(`reads ${bare}, a data set without preamble or meta header, by content`, () => {
      const got = decode(path.join(v, bare));
      const original = decode(path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen', 'IM0001'));
      assert.equal(got.part10, false);
      assert.deepEqual(got.px.values, original.px.values);
      assert.equal(got.header.sopInstanceUid, original.header.sopInstanceUid);
    });
  }

  it('ingests a multi-frame instance as one volume, frames ordered by position', () => {
    const env = isolatedEnv(dir);
    const mfDir = path.join(dir, 'mf');
    fs.mkdirSync(mfDir);
    fs.copyFileSync(path.join(v, 'multiframe.dcm'), path.join(mfDir, 'multiframe.dcm'));
    const r = cli(['ingest', mfDir, '--dataset', 'mf'], env);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(cli(['dataset', 'show', 'mf', '--json'], env).stdout) as DatasetInfo;
    assert.equal(info.series.length, 1);
    const vol = readVolume(info.series[0].volumePath);
    assert.deepEqual(vol.header.geometry.size, cases[0].geometry.size);
    assert.deepEqual([...vol.data], [...cases[0].hu]);
  });

  it('ingests a MONOCHROME1 (non-CT) series mirrored, with the intensity range of the mirrored values', () => {
    const env = isolatedEnv(dir);
    const m1 = path.join(dir, 'm1');
    fs.cpSync(path.join(dir, 'cohort', 'dicom', 'SYN001'), m1, { recursive: true });
    const files = fs.readdirSync(path.join(m1, 'CT_abdomen')).map((f) => path.join(m1, 'CT_abdomen', f));
    run('dcmodify', ['-nb', '-m', '(0028,0004)=MONOCHROME1', '-m', '(0008,0060)=MR', ...files]);
    assert.equal(cli(['ingest', m1, '--dataset', 'm1'], env).status, 0);
    const info = JSON.parse(cli(['dataset', 'show', 'm1', '--json'], env).stdout) as DatasetInfo;
    const vol = readVolume(info.series[0].volumePath);
    // Stored 12-bit unsigned, intercept -1024: LUT range [-1024, 3071], so mirrored = 2047 - HU.
    const expected = [...cases[0].hu].map((hu) => 2047 - hu);
    assert.deepEqual([...vol.data], expected);
    assert.deepEqual(info.series[0].intensityRange, [Math.min(...expected), Math.max(...expected)]);
  });

  it('mirrors MONOCHROME1 within the LUT range, except for CT', () => {
    const h = { ...decode(path.join(v, 'signed_junk.dcm')).header, photometricInterpretation: 'MONOCHROME1', pixelRepresentation: 0, rescaleSlope: 1, rescaleIntercept: 0 };
    assert.equal(monochrome1Mirror(h), null, 'CT keeps Hounsfield units');
    const mirror = monochrome1Mirror({ ...h, modality: 'CR' })!;
    assert.deepEqual([0, 100, 4095].map(mirror), [4095, 3995, 0]);
  });
});
