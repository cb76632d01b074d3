import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { initCodecs } from '../../src/dicom/codecs.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { decodePixels } from '../../src/dicom/pixels.js';
import { cli, isolatedEnv, PYTHON, run, tempDir } from '../helpers.js';

/**
 * Decoding classes that disagreed with pydicom/GDCM on a public corpus of odd files (pydicom's test
 * files), rebuilt as fixtures by test/fixtures/make-decoding-classes.py (pydicom), dcmcrle, dcmcjpeg and
 * gdcmconv, and matched value for value against pydicom's pixel_array or dcmdjpeg's decompression.
 */
describe('decoding classes against pydicom', () => {
  let dir: string;
  let reference: { u32: number[]; ybr422: number[]; bits: number[] };
  let derived: { implicitRgb: number[] };
  const script = path.join('test', 'fixtures', 'make-decoding-classes.py');
  before(async () => {
    await initCodecs();
    dir = tempDir('decoding-classes');
    reference = JSON.parse(run(PYTHON, [script, dir]));
    run('dcmcrle', [path.join(dir, 'u32.dcm'), path.join(dir, 'u32-rle.dcm')]);
    run('dcmcjpeg', ['+eb', '+cr', path.join(dir, 'rgb.dcm'), path.join(dir, 'jpeg-rgb.dcm')]);
    run('dcmcjpeg', ['+eb', path.join(dir, 'rgb.dcm'), path.join(dir, 'jpeg-ybr.dcm')]);
    run('gdcmconv', ['--j2k', path.join(dir, 'mono16.dcm'), path.join(dir, 'j2k.dcm')]);
    for (const i of [0, 1, 2]) run('opj_compress', ['-i', path.join(dir, `bits-frame-${i}.pgx`), '-o', path.join(dir, `bits-frame-${i}.j2k`), '-n', '2']);
    derived = JSON.parse(run(PYTHON, [script, '--derive', dir]));
    for (const n of ['jpeg-rgb', 'jpeg-ybr', 'jpeg-rgb-app14-cut']) run('dcmdjpeg', [path.join(dir, `${n}.dcm`), path.join(dir, `${n}-dcmtk.dcm`)]);
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

  it('follows Photometric Interpretation RGB, not a JPEG marker cut short, as dcmtk, GDCM and pydicom do (it applied a YCbCr transform)', () => {
    const ours = decode('jpeg-rgb-app14-cut.dcm');
    assert.equal(ours.photometric, 'RGB');
    assert.deepEqual([...ours.values], [...decode('jpeg-rgb-app14-cut-dcmtk.dcm').values]);
  });

  it('reads an Implicit VR data set under an encapsulated transfer syntax as pydicom does (dicom-parser overran the file)', () => {
    const file = path.join(dir, 'jpeg-rgb-implicit.dcm');
    const parsed = parseDicom(fs.readFileSync(file), file);
    assert.match(parsed.note ?? '', /encoded in Implicit VR although the meta header's transfer syntax \(JPEG Baseline \(Process 1\)\) says Explicit VR/);
    const px = decode('jpeg-rgb-implicit.dcm');
    assert.deepEqual([px.rows, px.columns, px.samplesPerPixel], [17, 33, 3]);
    assert.deepEqual([...px.values], derived.implicitRgb);
    // The header-only read (what ingest does first) stops at the Pixel Data element in the same encoding.
    const header = parseDicom(fs.readFileSync(file), file, { untilPixelData: true });
    assert.equal(readInstanceHeader(header.dataSet, header.transferSyntaxUid).hasPixelData, true);
    // A consistent file is not given a note.
    assert.equal(parseDicom(fs.readFileSync(path.join(dir, 'jpeg-rgb.dcm')), 'jpeg-rgb.dcm').note, undefined);
  });

  it('refuses a JPEG 2000 frame whose SIZ marker holds a sequence delimiter, before the codec allocates, as GDCM refuses it', () => {
    const file = path.join(dir, 'j2k-siz-delimiter.dcm');
    const gdcm = spawnSync('gdcmconv', ['--raw', file, path.join(dir, 'gdcm-out.dcm')], { encoding: 'utf8' });
    assert.notEqual(gdcm.status, 0, 'GDCM is expected to refuse this codestream too');
    // In a 128 MB heap, so that an allocation for the 3.7-gigapixel image the codestream declares would fail.
    const env = { ...isolatedEnv(path.join(dir, 'inspect-db')), NODE_OPTIONS: '--max-old-space-size=128' };
    const r = cli(['inspect', file, '--json'], env);
    assert.equal(r.status, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: string };
    assert.match(error, /JPEG 2000 \(Lossless Only\) frame: its SIZ marker says 3722444832x16 pixels but Columns x Rows \(0028,0011\)\/\(0028,0010\) say 32x16$/);
    assert.equal(error.split('\n').length, 1);
  });

  for (const [name, syntax] of [
    ['bits-rle.dcm', 'RLE Lossless (it was refused: "expected 0.125 segments")'],
    ['bits-deflate.dcm', 'Deflated Image Frame Compression (it was an unsupported transfer syntax)'],
    ['bits-j2k.dcm', 'JPEG 2000 (it decoded to nearly all zeros)'],
  ] as const) {
    it(`decodes 1-bit frames (binary SEG) not ending on a byte boundary in ${syntax}, as pydicom decodes the native file`, () => {
      const px = decode(name);
      assert.deepEqual([px.frames, px.rows, px.columns], [3, 9, 7]);
      assert.deepEqual([...px.values], reference.bits);
      assert.ok(reference.bits.includes(1) && reference.bits.includes(0));
    });
  }

  it('refuses a deflated frame that inflates beyond its Rows x Columns', () => {
    const file = path.join(dir, 'bits-deflate.dcm');
    const bytes = fs.readFileSync(file);
    const parsed = parseDicom(bytes, file);
    const h = { ...readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), rows: 3 };
    assert.throws(() => decodePixels(parsed.dataSet, h, file), /frame 1: deflated frame inflates beyond the 3 bytes Rows x Columns x BitsAllocated imply/);
  });

  it('names Float Pixel Data as the reason a parametric map is refused (it said "no Pixel Data")', () => {
    assert.throws(() => decode('float.dcm'), /float\.dcm: Float Pixel Data \(7FE0,0008\) \(a parametric map\) is not supported: SegFusion reads integer Pixel Data \(7FE0,0010\)$/);
  });
});
