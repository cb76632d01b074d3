import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

/** Value of one tag as dcmdump prints it, e.g. "(0028,0010) US 64" -> "64". */
function dcmdumpValue(dump: string, tag: string): string {
  const line = dump.split('\n').find((l) => l.startsWith(`(${tag})`));
  assert.ok(line, `dcmdump has no ${tag}`);
  const m = /^\(\S+\) \w\w (?:\[([^\]]*)\]|=?(\S+))/.exec(line);
  return (m?.[1] ?? m?.[2] ?? '').trim();
}

const UID_NAMES: Record<string, string> = { LittleEndianExplicit: '1.2.840.10008.1.2.1', CTImageStorage: '1.2.840.10008.5.1.4.1.1.2' };

describe('segfusion inspect', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let file: string;
  before(() => {
    dir = tempDir('inspect');
    env = isolatedEnv(dir);
    smallCohort(path.join(dir, 'cohort'), 1);
    file = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen', 'IM0003');
  });

  it('agrees with dcmdump on the header values', () => {
    const r = cli(['inspect', file, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, unknown>;
    const dump = run('dcmdump', [
      '+P',
      '0002,0010',
      '+P',
      '0008,0016',
      '+P',
      '0008,0018',
      '+P',
      '0008,0060',
      '+P',
      '0028,0010',
      '+P',
      '0028,0011',
      '+P',
      '0028,0100',
      '+P',
      '0028,0101',
      '+P',
      '0028,0103',
      '+P',
      '0028,1052',
      '+P',
      '0028,1053',
      '+P',
      '0028,0004',
      file,
    ]);
    const table: [string, string, (v: string) => unknown][] = [
      ['transferSyntaxUid', '0002,0010', (v) => UID_NAMES[v] ?? v],
      ['sopClassUid', '0008,0016', (v) => UID_NAMES[v] ?? v],
      ['sopInstanceUid', '0008,0018', String],
      ['modality', '0008,0060', String],
      ['rows', '0028,0010', Number],
      ['columns', '0028,0011', Number],
      ['bitsAllocated', '0028,0100', Number],
      ['bitsStored', '0028,0101', Number],
      ['pixelRepresentation', '0028,0103', Number],
      ['rescaleIntercept', '0028,1052', Number],
      ['rescaleSlope', '0028,1053', Number],
      ['photometricInterpretation', '0028,0004', String],
    ];
    for (const [key, tag, conv] of table) assert.equal(got[key], conv(dcmdumpValue(dump, tag)), key);
    assert.equal(got.frames, 1);
    assert.equal(got.samplesPerPixel, 1);
  });

  it('reports stored and modality-LUT statistics that match pydicom', () => {
    const got = JSON.parse(cli(['inspect', file, '--json'], env).stdout) as { pixel: { min: number; max: number; mean: number }; modalityLut: { min: number; max: number; mean: number } };
    const ref = JSON.parse(
      run('/usr/bin/python3', [
        '-c',
        'import sys,json,pydicom; from pydicom.pixel_data_handlers.util import apply_modality_lut as m; d=pydicom.dcmread(sys.argv[1]); a=d.pixel_array; h=m(a,d); print(json.dumps([float(a.min()),float(a.max()),float(a.mean()),float(h.min()),float(h.max()),float(h.mean())]))',
        file,
      ]),
    ) as number[];
    assert.deepEqual([got.pixel.min, got.pixel.max], ref.slice(0, 2));
    assert.ok(Math.abs(got.pixel.mean - ref[2]) < 1e-9);
    assert.deepEqual([got.modalityLut.min, got.modalityLut.max], ref.slice(3, 5));
    assert.ok(Math.abs(got.modalityLut.mean - ref[5]) < 1e-9);
  });

  const BAD: [string, (f: string) => void, RegExp][] = [
    ['a text file', (f) => fs.writeFileSync(f, 'hello, not an image'), /not a DICOM file/],
    ['an empty file', (f) => fs.writeFileSync(f, ''), /not a DICOM file/],
    ['a missing file', () => undefined, /ENOENT|no such file/],
  ];
  for (const [name, make, reason] of BAD) {
    it(`exits 2 with a JSON error for ${name}`, () => {
      const f = path.join(dir, `bad-${name.replace(/\W+/g, '-')}`);
      make(f);
      const r = cli(['inspect', f, '--json'], env);
      assert.equal(r.status, 2);
      const out = JSON.parse(r.stdout) as { error: string };
      assert.match(out.error, reason);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
