import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { initCodecs } from '../../src/dicom/codecs.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { applyModalityLut } from '../../src/dicom/modalityLut.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { decodePixels } from '../../src/dicom/pixels.js';
import { ROOT, run, smallCohort, tempDir } from '../helpers.js';

function decode(file: string) {
  const parsed = parseDicom(fs.readFileSync(file), file);
  const header = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  const px = decodePixels(parsed.dataSet, header, file);
  return { header, px, hu: applyModalityLut(px.values, header.rescaleSlope, header.rescaleIntercept) };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// Lossless syntaxes must reproduce the original exactly. Lossy ones must equal the encoding tool's own
// decompression (refTolerance, in stored values) and stay within huTolerance of the original in HU.
const CASES: { file: string; uid: string; lossy?: { refTolerance: number; huTolerance: number } }[] = [
  { file: 'implicit_le.dcm', uid: '1.2.840.10008.1.2' },
  { file: 'explicit_le.dcm', uid: '1.2.840.10008.1.2.1' },
  { file: 'explicit_be.dcm', uid: '1.2.840.10008.1.2.2' },
  { file: 'deflated_le.dcm', uid: '1.2.840.10008.1.2.1.99' },
  { file: 'rle.dcm', uid: '1.2.840.10008.1.2.5' },
  { file: 'jpeg_lossless_p14.dcm', uid: '1.2.840.10008.1.2.4.57' },
  { file: 'jpeg_lossless_sv1.dcm', uid: '1.2.840.10008.1.2.4.70' },
  { file: 'jpegls_lossless.dcm', uid: '1.2.840.10008.1.2.4.80' },
  { file: 'j2k_lossless.dcm', uid: '1.2.840.10008.1.2.4.90' },
  // dcmtk rescales 12-bit data into 8 bits for baseline JPEG (slope ~8 HU per step), hence the wide HU bound.
  { file: 'jpeg_baseline.dcm', uid: '1.2.840.10008.1.2.4.50', lossy: { refTolerance: 0, huTolerance: 160 } },
  { file: 'jpeg_extended.dcm', uid: '1.2.840.10008.1.2.4.51', lossy: { refTolerance: 0, huTolerance: 40 } },
  { file: 'jpegls_near_lossless.dcm', uid: '1.2.840.10008.1.2.4.81', lossy: { refTolerance: 0, huTolerance: 2 } },
  { file: 'j2k_lossy.dcm', uid: '1.2.840.10008.1.2.4.91', lossy: { refTolerance: 1, huTolerance: 120 } },
];

describe('decodePixels across transfer syntaxes (files made by dcmtk and gdcm)', () => {
  let dir: string;
  let original: ReturnType<typeof decode>;
  before(async () => {
    await initCodecs();
    dir = tempDir('ts');
    smallCohort(path.join(dir, 'cohort'), 1);
    const src = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen', 'IM0001');
    run('bash', [path.join(ROOT, 'test', 'fixtures', 'make-transfer-syntaxes.sh'), src, path.join(dir, 'ts')]);
    original = decode(src);
  });

  for (const c of CASES) {
    it(`decodes ${c.file} (${c.uid})`, () => {
      const got = decode(path.join(dir, 'ts', c.file));
      assert.equal(got.header.transferSyntaxUid, c.uid);
      if (!c.lossy) {
        assert.deepEqual(got.px.values, original.px.values);
        assert.deepEqual(got.hu, original.hu);
      } else {
        const ref = decode(path.join(dir, 'ts', 'ref', c.file));
        assert.ok(maxAbsDiff(got.px.values, ref.px.values) <= c.lossy.refTolerance, `differs from the tool's own decompression by ${maxAbsDiff(got.px.values, ref.px.values)}`);
        const hu = maxAbsDiff(got.hu, original.hu);
        assert.ok(hu <= c.lossy.huTolerance, `max HU error ${hu} > ${c.lossy.huTolerance}`);
      }
    });
  }

  it('matches pydicom on the uncompressed original', () => {
    const src = path.join(dir, 'ts', 'explicit_le.dcm');
    const out = run('/usr/bin/python3', ['-c', 'import sys,pydicom; d=pydicom.dcmread(sys.argv[1]); a=d.pixel_array; print(int(a.min()), int(a.max()), int(a.sum()))', src]).trim();
    const v = original.px.values;
    let sum = 0;
    for (const x of v) sum += x;
    assert.equal(out, `${Math.min(...v)} ${Math.max(...v)} ${sum}`);
  });
});
