import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dcmjs from 'dcmjs';
import { defaultSegmentCoding, rgbToDicomLab } from '../../src/dicom/segmentCodes.js';

describe('rgbToDicomLab', () => {
  // Reference: dcmjs's rgb2DICOMLAB (D50 PCS, Bradford), an implementation independent of ours. One
  // scaled unit is 100/65535 in L* and 255/65535 in a*, b*; 40 units is below 0.16 in a*, b*.
  const COLOURS: [number, number, number][] = [
    [255, 255, 255],
    [0, 0, 0],
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [128, 128, 128],
    [230, 159, 0],
    [0, 114, 178],
    [1, 2, 3],
  ];
  for (const c of COLOURS) {
    it(`matches dcmjs for rgb(${c})`, () => {
      const ours = rgbToDicomLab(c);
      const ref = dcmjs.data.Colors.rgb2DICOMLAB(c.map((v) => v / 255)) as number[];
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(ours[k] - ref[k]) <= 40, `${ours} vs ${ref.map(Math.round)}`);
    });
  }

  it('puts white at L* 100 and neutral a*, b*, black at 0', () => {
    const [L, a, b] = rgbToDicomLab([255, 255, 255]);
    assert.equal(L, 65535);
    assert.ok(Math.abs(a - 0x8080) <= 4 && Math.abs(b - 0x8080) <= 4, `${a}, ${b}`);
    assert.equal(rgbToDicomLab([0, 0, 0])[0], 0);
  });
});

describe('defaultSegmentCoding', () => {
  const CASES: [string, string, string][] = [
    ['liver', '123037004', '10200004'],
    ['Liver', '123037004', '10200004'],
    ['lesion', '49755003', '52988006'],
    ['lesion_small', '49755003', '52988006'],
    ['Tumour', '49755003', '108369006'],
    ['class_7', '85756007', '85756007'],
  ];
  for (const [name, category, type] of CASES) {
    it(`codes "${name}" as SCT ${category} / ${type}`, () => {
      const c = defaultSegmentCoding(name, 1);
      assert.deepEqual([c.category.scheme, c.category.code, c.type.scheme, c.type.code], ['SCT', category, 'SCT', type]);
    });
  }

  it('gives distinct colours to the first classes', () => {
    const colours = new Set([1, 2, 3, 4, 5].map((i) => String(defaultSegmentCoding('x', i).color)));
    assert.equal(colours.size, 5);
  });
});
