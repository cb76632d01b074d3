/**
 * npm run bench:seg -- [--matrix 256] [--slices 96] [--rounds 3]
 *
 * SegFusion's SEG writer against dcmjs's Segmentation derivation (what OHIF builds SEGs with), on one
 * synthetic CT series and its label map: time and heap growth per SEG (from the files on disk: dcmjs
 * needs every source image naturalised and normalised into one multi-frame data set, SegFusion reads
 * the first file's header and the catalogued SOP UIDs), the output size, and what dciodvfy (Debian
 * dicom3tools) says about each output. Prints JSON; rounds are interleaved because the machine is shared.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { generateSyntheticCohort } from '../src/data/synthetic.js';
import { readInstanceHeader } from '../src/dicom/header.js';
import { parseDicom } from '../src/dicom/parse.js';
import { defaultSegmentCoding, rgbToDicomLab } from '../src/dicom/segmentCodes.js';
import { writeSegmentation } from '../src/dicom/segWriter.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const matrix = arg('matrix', 256);
const slicesWanted = arg('slices', 96);
const rounds = arg('rounds', 3);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segfusion-bench-seg-'));
const c = generateSyntheticCohort({ out: dir, patients: 1, matrix, slices: slicesWanted, seed: 3 })[0];
const files = fs
  .readdirSync(path.join(dir, 'dicom'), { recursive: true, withFileTypes: true })
  .filter((f) => f.isFile())
  .map((f) => path.join(f.parentPath, f.name));
const [nx, ny, nz] = c.geometry.size;
const plane = nx * ny;
const NAMES = ['background', 'organ', 'lesion'];

/** Slice index of each file, from its position along z (the synthetic grid is axis-aligned). */
const placed = files
  .map((f) => {
    const p = parseDicom(fs.readFileSync(f), f, { untilPixelData: true });
    const h = readInstanceHeader(p.dataSet, p.transferSyntaxUid);
    return { file: f, h, k: Math.round((h.framePositions![0][2] - c.geometry.origin[2]) / c.geometry.spacing[2]) };
  })
  .sort((a, b) => a.k - b.k);

function ours(): Buffer {
  const first = parseDicom(fs.readFileSync(placed[0].file), placed[0].file, { untilPixelData: true });
  const slices = placed.map((p) => ({ sopClassUid: p.h.sopClassUid, sopInstanceUid: p.h.sopInstanceUid }));
  const segments = [1, 2].map((n) => ({ number: n, label: NAMES[n], coding: defaultSegmentCoding(NAMES[n], n) }));
  return writeSegmentation({ dataSet: first.dataSet, seriesInstanceUid: c.seriesUid, slices }, { labels: c.labels, geometry: c.geometry, segments, algorithm: { name: 'bench', version: '1' } });
}

function viaDcmjs(): Buffer {
  // dcmjs derives the SEG from the naturalised data sets of every source image (pixel data included).
  const datasets = placed.map((p) => {
    const b = fs.readFileSync(p.file);
    const dict = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    ds._meta = dcmjs.data.DicomMetaDictionary.namifyDataset(dict.meta);
    return ds;
  });
  // As its Cornerstone adapter does: the stack is first normalised into one multi-frame data set.
  const multiframe = dcmjs.normalizers.Normalizer.normalizeToDataset(datasets);
  const seg = new dcmjs.derivations.Segmentation([multiframe]);
  const framesOf = (n: number) => [...Array(nz).keys()].filter((k) => c.labels.subarray(k * plane, (k + 1) * plane).includes(n));
  seg.setNumberOfFrames(framesOf(1).length + framesOf(2).length);
  for (const n of [1, 2]) {
    const coding = defaultSegmentCoding(NAMES[n], n);
    const code = (x: { code: string; scheme: string; meaning: string }) => ({ CodeValue: x.code, CodingSchemeDesignator: x.scheme, CodeMeaning: x.meaning });
    const frames = framesOf(n);
    seg.addSegmentFromLabelmap(
      {
        SegmentLabel: NAMES[n],
        SegmentNumber: n,
        SegmentAlgorithmType: 'AUTOMATIC',
        SegmentAlgorithmName: 'bench 1',
        RecommendedDisplayCIELabValue: rgbToDicomLab(coding.color),
        SegmentedPropertyCategoryCodeSequence: code(coding.category),
        SegmentedPropertyTypeCodeSequence: code(coding.type),
      },
      frames.map((k) => c.labels.subarray(k * plane, (k + 1) * plane)),
      n,
      frames.map((k) => k + 1),
    );
  }
  // Bit-packed before writing, as dcmjs's adapters do for BINARY segmentations.
  seg.bitPackPixelData();
  return Buffer.from(dcmjs.data.datasetToBuffer(seg.dataset));
}

function dciodvfy(bytes: Buffer, name: string): { errors: number; codeWarnings: number; firstError: string | null } {
  const file = path.join(dir, `${name}.dcm`);
  fs.writeFileSync(file, bytes);
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const lines = `${r.stdout}${r.stderr}`.split('\n');
  return {
    errors: lines.filter((l) => l.startsWith('Error')).length,
    firstError: lines.find((l) => l.startsWith('Error')) ?? null,
    codeWarnings: lines.filter((l) => l.startsWith('Warning') && /Cod(e|ing)|SRT|deprecated|retired/i.test(l)).length,
  };
}

const timed = (f: () => Buffer) => {
  const heap = process.memoryUsage().heapUsed;
  const t = performance.now();
  const bytes = f();
  return { ms: performance.now() - t, heapMb: (process.memoryUsage().heapUsed - heap) / 2 ** 20, bytes };
};

const results: { round: number; oursMs: number; dcmjsMs: number; oursHeapMb: number; dcmjsHeapMb: number }[] = [];
let last: { ours: Buffer; dcmjs: Buffer } | null = null;
for (let round = 0; round < rounds; round++) {
  global.gc?.();
  const a = timed(ours);
  global.gc?.();
  const b = timed(viaDcmjs);
  results.push({ round, oursMs: a.ms, dcmjsMs: b.ms, oursHeapMb: a.heapMb, dcmjsHeapMb: b.heapMb });
  last = { ours: a.bytes, dcmjs: b.bytes };
}
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify(
    {
      series: { size: [nx, ny, nz], files: files.length },
      rounds: results.map((r) => ({ ...r, oursMs: Math.round(r.oursMs), dcmjsMs: Math.round(r.dcmjsMs), ratio: Number((r.oursMs / r.dcmjsMs).toFixed(3)) })),
      medianMs: { segfusion: Math.round(median(results.map((r) => r.oursMs))), dcmjs: Math.round(median(results.map((r) => r.dcmjsMs))) },
      ratio: Number((median(results.map((r) => r.oursMs)) / median(results.map((r) => r.dcmjsMs))).toFixed(3)),
      bytes: { segfusion: last?.ours.length, dcmjs: last?.dcmjs.length },
      dciodvfy: { segfusion: dciodvfy(last!.ours, 'segfusion'), dcmjs: dciodvfy(last!.dcmjs, 'dcmjs') },
    },
    null,
    2,
  ),
);
fs.rmSync(dir, { recursive: true, force: true });
