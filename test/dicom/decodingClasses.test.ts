import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { initCodecs } from '../../src/dicom/codecs.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { decodePixels } from '../../src/dicom/pixels.js';
import { PYTHON, run, tempDir } from '../helpers.js';

/**
 * Decoding classes that disagreed with pydicom/GDCM on a public corpus of odd files, rebuilt as
 * fixtures by test/fixtures/make-decoding-classes.py (pydicom) and dcmcrle, and matched value for value
 * against pydicom's pixel_array.
 */
describe('decoding classes against pydicom', () => {
  let dir: string;
  let reference: { u32: number[]; ybr422: number[] };
  before(async () => {
    await initCodecs();
    dir = tempDir('decoding-classes');
    reference = JSON.parse(run(PYTHON, [path.join('test', 'fixtures', 'make-decoding-classes.py'), dir]));
    run('dcmcrle', [path.join(dir, 'u32.dcm'), path.join(dir, 'u32-rle.dcm')]);
    run('dcmcjpeg', ['+eb', '+cr', path.join(dir, 'rgb.dcm'), path.join(dir, 'jpeg-rgb.dcm')]);
    run('dcmcjpeg', ['+eb', path.join(dir, 'rgb.dcm'), path.join(dir, 'jpeg-ybr.dcm')]);
    for (const n of ['jpeg-rgb', 'jpeg-ybr']) run('dcmdjpeg', [path.join(dir, `${n}.dcm`), path.join(dir, `${n}-dcmtk.dcm`)]);
  });
  const decode = (name: string) => {
    const file = path.join(dir, name);
    const parsed = parseDicom(fs.readFileSync(file), file);
    return decodePixels(parsed.dataSet, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), file);
  };

  for (const name of ['u32.dcm', 'u32-rle.dcm']) {
    it(`reads 32-bit unsigned samples above 2^31 as unsigned (${name}; they came out near -2^31)`, () => {
      const px = decode(name);
      assert.deepEqual([...px.values], reference.u32);
      assert.ok(Math.max(...px.values) > 2 ** 31);
    });
  }

  for (const [name, what] of [
    ['jpeg-rgb', 'RGB with an APP14 marker saying "no colour transform"'],
    ['jpeg-ybr', 'YBR_FULL_422'],
  ] as const) {
    it(`decodes baseline colour JPEG of odd dimensions (33x17), ${what}, as dcmdjpeg does`, () => {
      const ours = decode(`${name}.dcm`);
      const reference = decode(`${name}-dcmtk.dcm`);
      assert.equal(ours.photometric, 'RGB');
      assert.deepEqual([...ours.values], [...reference.values]);
      // And close to the source: lossy, but no channel swapped or colour transform applied twice.
      const source = decode('rgb.dcm');
      const worst = Math.max(...ours.values.map((v, i) => Math.abs(v - source.values[i])));
      assert.ok(worst <= 40, `largest difference to the source ${worst}`);
    });
  }

  it('expands uncompressed YBR_FULL_422 (two samples per pixel) as pydicom does (it was refused as too short)', () => {
    const px = decode('ybr422.dcm');
    assert.deepEqual([...px.values], reference.ybr422);
    assert.equal(px.photometric, 'YBR_FULL');
  });
});
