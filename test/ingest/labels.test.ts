import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LabelsFolderError, matchLabel, readLabelsFolder, type SeriesKey } from '../../src/ingest/labels.js';
import { tempDir } from '../helpers.js';

const SERIES: SeriesKey[] = [
  { seriesInstanceUid: '1.2.3.1', patientId: 'P1', folder: '/in/P1/CT' },
  { seriesInstanceUid: '1.2.3.2', patientId: 'P2', folder: '/in/P2/CT_arterial' },
  { seriesInstanceUid: '1.2.3.3', patientId: 'P2', folder: '/in/P2/CT_venous' },
];

describe('matchLabel', () => {
  const cases: [string, { stem: string; target?: string }, string | RegExp][] = [
    ['by SeriesInstanceUID', { stem: '1.2.3.3' }, '1.2.3.3'],
    ['by PatientID with one series', { stem: 'P1' }, '1.2.3.1'],
    ['by series folder name', { stem: 'CT_venous' }, '1.2.3.3'],
    ['by manifest target over the file name', { stem: 'whatever', target: '1.2.3.2' }, '1.2.3.2'],
    ['ambiguous PatientID', { stem: 'P2' }, /"P2" is PatientID of 2 series \(1.2.3.2, 1.2.3.3\)/],
    ['no match', { stem: 'P9' }, /"P9" matches no SeriesInstanceUID, PatientID or series folder/],
  ];
  for (const [name, file, expected] of cases) {
    it(name, () => {
      const r = matchLabel({ path: `/labels/${file.stem}.nii.gz`, ...file }, SERIES);
      if (typeof expected === 'string') assert.equal('series' in r && r.series.seriesInstanceUid, expected);
      else assert.match('error' in r ? r.error : '', expected);
    });
  }
});

describe('readLabelsFolder', () => {
  const folder = (files: Record<string, string>) => {
    const dir = tempDir('labels');
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };

  it('reads NIfTI files, labels.json and manifest.csv', () => {
    const dir = folder({ 'a.nii.gz': '', 'b.nii': '', 'labels.json': '{"0":"background","1":"liver"}', 'manifest.csv': 'file,series\nb.nii,1.2.3.3\n', 'notes.txt': '' });
    const r = readLabelsFolder(dir);
    assert.deepEqual(
      r.files.map((f) => [f.stem, f.target]),
      [
        ['a', undefined],
        ['b', '1.2.3.3'],
      ],
    );
    assert.deepEqual(r.classSpecs, { '0': { name: 'background', synonyms: [] }, '1': { name: 'liver', synonyms: [] } });
  });

  it('reads class specs with codes, colours and synonyms', () => {
    const spec = { name: 'lesion', synonyms: ['GTV'], category: { code: '49755003', meaning: 'Morphologically Abnormal Structure' }, type: { code: '52988006', meaning: 'Lesion' }, color: '#ff8000' };
    const r = readLabelsFolder(folder({ 'labels.json': JSON.stringify({ 0: 'background', 2: spec }) }));
    assert.deepEqual(r.classSpecs?.['2'], { ...spec, category: { ...spec.category, scheme: 'SCT' }, type: { ...spec.type, scheme: 'SCT' }, color: [255, 128, 0] });
  });

  const BAD: [string, Record<string, string>, RegExp][] = [
    ['labels.json that is not JSON', { 'labels.json': '{oops' }, /labels.json: not valid JSON/],
    ['labels.json with a non-integer value', { 'labels.json': '{"one":"liver"}' }, /label values must be integers/],
    ['a class with a category but no type', { 'labels.json': '{"1":{"name":"liver","category":{"code":"123037004","meaning":"Anatomical Structure"}}}' }, /1: give both category and type/],
    ['a colour that is not #rrggbb', { 'labels.json': '{"1":{"name":"liver","color":"red"}}' }, /1.color: a colour is "#rrggbb"/],
    ['an unknown key in a class', { 'labels.json': '{"1":{"name":"liver","colour":"#ff0000"}}' }, /1: .*"colour"/],
    ['manifest.csv without its header', { 'manifest.csv': 'a.nii,1.2\n' }, /first line must be "file,series"/],
    ['manifest.csv naming a missing file', { 'manifest.csv': 'file,series\nmissing.nii,1.2\n' }, /lists missing.nii, which is not in/],
  ];
  for (const [name, files, pattern] of BAD) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => readLabelsFolder(folder(files)),
        (e: unknown) => e instanceof LabelsFolderError && pattern.test(e.message),
      ));
  }
});
