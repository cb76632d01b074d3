import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { segToLabelVolume } from '../../src/data/segAlign.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { readSegmentation } from '../../src/dicom/seg.js';
import { writeSegmentation } from '../../src/dicom/segWriter.js';
import type { SegmentCoding } from '../../src/dicom/segmentCodes.js';
import dcmjs from 'dcmjs';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import { PYTHON, run, smallCohort, tempDir } from '../helpers.js';

const LIVER = { code: '10200004', scheme: 'SCT', meaning: 'Liver' };
const CODINGS: SegmentCoding[] = [
  { category: { code: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' }, type: LIVER, color: [221, 130, 101] },
  { category: { code: '49755003', scheme: 'SCT', meaning: 'Morphologically Abnormal Structure' }, type: { code: '52988006', scheme: 'SCT', meaning: 'Lesion' }, region: LIVER, color: [0, 114, 178] },
];

/** dcmjs naturalises a one-item sequence to the item itself. */
// biome-ignore lint/suspicious/noExplicitAny: dcmjs's naturalised data sets are untyped
const one = (v: any) => (Array.isArray(v) ? v[0] : v);

describe('writeSegmentation', () => {
  let dir: string;
  let c: SyntheticCase;
  let segFile: string;
  let slices: { sopClassUid: string; sopInstanceUid: string }[];

  before(() => {
    dir = tempDir('segwriter');
    c = smallCohort(dir, 1)[0];
    const files = fs
      .readdirSync(path.join(dir, 'dicom'), { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => path.join(f.parentPath, f.name));
    const parsed = files.map((f) => parseDicom(fs.readFileSync(f), f));
    const headers = parsed.map((p) => readInstanceHeader(p.dataSet, p.transferSyntaxUid));
    // Slice index from the position along z (axis-aligned synthetic geometry).
    slices = new Array(c.geometry.size[2]);
    headers.forEach((h) => {
      const k = Math.round((h.framePositions![0][2] - c.geometry.origin[2]) / c.geometry.spacing[2]);
      slices[k] = { sopClassUid: h.sopClassUid, sopInstanceUid: h.sopInstanceUid };
    });
    segFile = path.join(dir, 'seg.dcm');
    fs.writeFileSync(
      segFile,
      writeSegmentation(
        { dataSet: parsed[0].dataSet, seriesInstanceUid: c.seriesUid, slices },
        {
          labels: c.labels,
          geometry: c.geometry,
          segments: [
            { number: 1, label: 'organ', coding: CODINGS[0] },
            { number: 2, label: 'lesion', coding: CODINGS[1] },
          ],
          algorithm: { name: 'test', version: '1' },
        },
      ),
    );
  });

  it("reads back through SegFusion's own SEG reader onto the same label volume", () => {
    const parsed = parseDicom(fs.readFileSync(segFile), segFile);
    const seg = readSegmentation(parsed.dataSet, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), segFile);
    assert.equal(seg.referencedSeriesInstanceUid, c.seriesUid);
    assert.deepEqual(seg.segments, [
      { number: 1, label: 'organ' },
      { number: 2, label: 'lesion' },
    ]);
    const bySop = new Map(slices.map((s, k) => [s.sopInstanceUid, k]));
    const { data } = segToLabelVolume(seg, c.geometry, bySop);
    assert.deepEqual(data, c.labels);
  });

  it('parses cleanly with dcmtk and pydicom, frames referencing their source images', () => {
    run('dcmdump', ['-q', '+E', segFile]);
    const script = `
import pydicom, json
ds = pydicom.dcmread(${JSON.stringify(segFile)})
a = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
fr = ds.PerFrameFunctionalGroupsSequence
out = {"modality": ds.Modality, "patient": ds.PatientID, "study": ds.StudyInstanceUID, "type": ds.SegmentationType,
       "voxels": {}, "refs": []}
for i, f in enumerate(fr):
    s = int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    out["voxels"][s] = out["voxels"].get(s, 0) + int(a[i].sum())
    out["refs"].append([s, f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID, [float(v) for v in f.PlanePositionSequence[0].ImagePositionPatient]])
print(json.dumps(out))`;
    const r = JSON.parse(run(PYTHON, ['-c', script])) as { modality: string; patient: string; study: string; type: string; voxels: Record<string, number>; refs: [number, string, number[]][] };
    assert.equal(r.modality, 'SEG');
    assert.equal(r.patient, c.patientId);
    assert.equal(r.study, c.studyUid);
    assert.equal(r.type, 'BINARY');
    for (const cls of [1, 2])
      assert.equal(
        r.voxels[cls],
        c.labels.reduce((n, v) => n + (v === cls ? 1 : 0), 0),
      );
    for (const [, sop, ipp] of r.refs) {
      const k = slices.findIndex((s) => s.sopInstanceUid === sop);
      assert.ok(k >= 0);
      assert.ok(Math.abs(ipp[2] - (c.geometry.origin[2] + k * c.geometry.spacing[2])) < 1e-3);
    }
  });

  it('passes dciodvfy with no errors and no code warnings', () => {
    // dciodvfy exits non-zero on any warning; the DICOMDIR warnings come from the synthetic source's empty study attributes.
    const r = spawnSync('dciodvfy', [segFile], { encoding: 'utf8' });
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^(Error|Warning)/.test(l));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('Error') || /Cod(e|ing)|SRT|deprecated|retired/i.test(l)),
      [],
      lines.join('\n'),
    );
    assert.ok(`${r.stdout}${r.stderr}`.includes('Segmentation'), 'dciodvfy recognised the IOD');
  });

  it('reads back in dcmjs (what OHIF uses) with SNOMED CT codes, region, colour and algorithm', () => {
    const buf = fs.readFileSync(segFile);
    const dict = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    const segs = ds.SegmentSequence as Record<string, ReturnType<typeof one>>[];
    assert.equal(segs.length, 2);
    CODINGS.forEach((c, i) => {
      const s = segs[i];
      assert.deepEqual(
        [one(s.SegmentedPropertyCategoryCodeSequence).CodeValue, one(s.SegmentedPropertyCategoryCodeSequence).CodingSchemeDesignator, one(s.SegmentedPropertyTypeCodeSequence).CodeValue, one(s.SegmentedPropertyTypeCodeSequence).CodeMeaning],
        [c.category.code, 'SCT', c.type.code, c.type.meaning],
      );
      assert.equal(s.SegmentAlgorithmType, 'AUTOMATIC');
      assert.equal(s.SegmentAlgorithmName, 'test 1');
      const rgb = dcmjs.data.Colors.dicomlab2RGB(s.RecommendedDisplayCIELabValue).map((v: number) => Math.round(v * 255));
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(rgb[k] - c.color[k]) <= 1, `segment ${i + 1} colour ${rgb} vs ${c.color}`);
    });
    assert.equal(one(segs[1].AnatomicRegionSequence).CodeValue, LIVER.code);
    assert.equal(Number(ds.NumberOfFrames), (ds.PerFrameFunctionalGroupsSequence as unknown[]).length);
  });

  it('converts Latin-1 patient names to the UTF-8 it declares (ISO_IR 192), as pydicom reads them', () => {
    const source = path.join(dir, 'latin1.dcm');
    const files = fs.readdirSync(path.join(dir, 'dicom'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    fs.copyFileSync(path.join(files[0].parentPath, files[0].name), source);
    // dcmodify takes its arguments as UTF-8: write a same-length placeholder, then the Latin-1 bytes.
    run('dcmodify', ['-nb', '-q', '-i', '(0008,0005)=ISO_IR 100', '-m', '(0010,0010)=M#ller^J#rg', source]);
    const raw = fs.readFileSync(source);
    const at = raw.indexOf('M#ller^J#rg');
    raw[at + 1] = 0xfc;
    raw[at + 8] = 0xf6;
    assert.ok(raw.includes(Buffer.from('M\xfcller^J\xf6rg', 'latin1')), 'the source holds Latin-1 bytes');
    const parsed = parseDicom(raw, source);
    const out = path.join(dir, 'seg-utf8.dcm');
    fs.writeFileSync(
      out,
      writeSegmentation(
        { dataSet: parsed.dataSet, seriesInstanceUid: c.seriesUid, slices },
        { labels: c.labels, geometry: c.geometry, segments: [{ number: 1, label: 'organ', coding: CODINGS[0] }], algorithm: { name: 'test', version: '1' } },
      ),
    );
    assert.ok(fs.readFileSync(out).includes(Buffer.from('M\u00fcller^J\u00f6rg', 'utf8')), 'the SEG holds UTF-8 bytes');
    const name = run(PYTHON, ['-c', 'import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); print(d.SpecificCharacterSet, "|", str(d.PatientName))', out], { env: { ...process.env, PYTHONIOENCODING: 'utf-8' } }).trim();
    assert.equal(name, 'ISO_IR 192 | M\u00fcller^J\u00f6rg');
  });
});
