import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { lpsToRasAffine, multiply, voxelToLps, type Mat4 } from '../../src/data/geometry.js';
import { readVolume } from '../../src/data/volumeCache.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { writeNifti } from '../../src/nifti/nifti.js';
import { ROOT, cli, isolatedEnv, smallCohort, tempDir } from '../helpers.js';

type Summary = IngestSummary;

function ingestJson(args: string[], env: NodeJS.ProcessEnv): Summary {
  const r = cli(['ingest', ...args, '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
}

/** Label volume re-laid out with axes permuted/flipped, and the affine that keeps it in the same place. */
function relayout(c: SyntheticCase, perm: [number, number, number], flip: [boolean, boolean, boolean]) {
  const src = c.geometry.size;
  const dims = perm.map((p) => src[p]) as [number, number, number];
  const data = new Uint8Array(c.labels.length);
  for (let k = 0; k < src[2]; k++)
    for (let j = 0; j < src[1]; j++)
      for (let i = 0; i < src[0]; i++) {
        const s = [i, j, k];
        const d = perm.map((p, a) => (flip[a] ? dims[a] - 1 - s[p] : s[p]));
        data[d[0] + dims[0] * (d[1] + dims[1] * d[2])] = c.labels[i + src[0] * (j + src[1] * k)];
      }
  // new index d -> old index s: s[perm[a]] = flip ? dims[a]-1-d[a] : d[a]
  const newToOld: Mat4 = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
  ];
  perm.forEach((p, a) => {
    newToOld[p][a] = flip[a] ? -1 : 1;
    newToOld[p][3] = flip[a] ? dims[a] - 1 : 0;
  });
  return { dims, data, affine: multiply(lpsToRasAffine(voxelToLps(c.geometry)), newToOld) };
}

describe('segfusion ingest', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cases: SyntheticCase[];
  let first: Summary;
  before(() => {
    dir = tempDir('ingest');
    env = isolatedEnv(dir);
    cases = smallCohort(path.join(dir, 'cohort'), 3);
    const dicom = path.join(dir, 'cohort', 'dicom');
    const labels = path.join(dir, 'cohort', 'labels');
    // Junk beside the real files: text, a truncated slice, a DICOM without pixel data.
    fs.writeFileSync(path.join(dicom, 'README.txt'), 'exported by PACS\n');
    const slice = fs.readFileSync(path.join(dicom, 'SYN002', 'CT_abdomen', 'IM0005'));
    fs.writeFileSync(path.join(dicom, 'SYN002', 'CT_abdomen', 'IM0005'), slice.subarray(0, slice.length - 3000));
    fs.writeFileSync(path.join(dicom, 'nopixels.dcm'), slice.subarray(0, slice.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]))));
    // A bad VR on Rows (0028,0010), and an ImagePositionPatient whose length runs past the end of the file.
    const badVr = Buffer.from(slice);
    badVr.write('ZZ', badVr.indexOf(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53])) + 4, 'latin1');
    fs.writeFileSync(path.join(dicom, 'badvr.dcm'), badVr);
    const badLength = Buffer.from(slice);
    badLength.writeUInt16LE(60000, badLength.indexOf(Buffer.from([0x20, 0x00, 0x32, 0x00, 0x44, 0x53])) + 6);
    fs.writeFileSync(path.join(dicom, 'badlength.dcm'), badLength);
    // SYN001's label stored permuted and flipped (as a sagittal re-slice would be), SYN003's with the wrong spacing.
    const moved = relayout(cases[0], [2, 0, 1], [true, false, true]);
    fs.writeFileSync(path.join(labels, 'SYN001.nii.gz'), writeNifti(moved, true));
    const wrong = lpsToRasAffine(voxelToLps({ ...cases[2].geometry, spacing: [cases[2].geometry.spacing[0] * 1.1, cases[2].geometry.spacing[1], cases[2].geometry.spacing[2]] }));
    fs.writeFileSync(path.join(labels, 'SYN003.nii.gz'), writeNifti({ dims: cases[2].geometry.size, affine: wrong, data: cases[2].labels }, true));
    fs.writeFileSync(path.join(labels, 'NOBODY.nii.gz'), writeNifti({ dims: cases[2].geometry.size, affine: wrong, data: cases[2].labels }, true));
    first = ingestJson([dicom, '--dataset', 'cohort', '--labels', labels], env);
  });

  it('reports every junk file with its reason and keeps going', () => {
    const errors = first.issues.filter((i) => i.severity === 'error');
    const byFile = (name: string) => errors.find((e) => path.basename(e.path) === name)?.reason ?? '';
    assert.match(byFile('README.txt'), /not a DICOM file/);
    assert.match(byFile('nopixels.dcm'), /no Pixel Data/);
    assert.match(byFile('IM0005'), /truncated|Pixel Data holds/);
    assert.match(byFile('badvr.dcm'), /element \(0028,0010\) has invalid VR "ZZ"/);
    assert.match(byFile('badlength.dcm'), /truncated|malformed/);
    assert.equal(first.series, 3);
  });

  it('reports the gap left by the corrupt slice as a missing slice and interpolates it in place', () => {
    assert.ok(
      first.issues.some((i) => i.severity === 'warning' && /missing 1 slice.*filled by interpolating/.test(i.reason)),
      JSON.stringify(first.issues),
    );
    const info = JSON.parse(cli(['dataset', 'show', 'cohort', '--json'], env).stdout) as { series: { patientId: string; volumePath: string; label: { volumePath: string } | null }[] };
    const s2 = info.series.find((s) => s.patientId === 'SYN002')!;
    const vol = readVolume(s2.volumePath).data;
    const [nx, ny, nz] = cases[1].geometry.size;
    const n = nx * ny;
    const differing = [...Array(nz).keys()].filter((k) => vol.subarray(k * n, (k + 1) * n).some((v, p) => v !== cases[1].hu[k * n + p]));
    assert.equal(differing.length, 1, `slices differing from the source: ${differing.join(', ')}`);
    const k = differing[0];
    for (let p = 0; p < n; p++) assert.equal(vol[k * n + p], Math.round((cases[1].hu[(k - 1) * n + p] + cases[1].hu[(k + 1) * n + p]) / 2));
    assert.deepEqual(readVolume(s2.label!.volumePath).data, cases[1].labels, 'the label still fits the complete grid');
  });

  it('builds volumes in HU equal to the generated data, sorted by position, not by file name', () => {
    const show = cli(['dataset', 'show', 'cohort', '--json'], env);
    assert.equal(show.status, 0, show.stderr);
    const info = JSON.parse(show.stdout) as { series: { patientId: string; volumePath: string; label: { volumePath: string } | null }[]; classMap: Record<string, string>; classVoxels: Record<string, number> };
    const s1 = info.series.find((s) => s.patientId === 'SYN001')!;
    const vol = readVolume(s1.volumePath);
    assert.deepEqual(vol.header.geometry.size, cases[0].geometry.size);
    assert.deepEqual([...vol.data], [...cases[0].hu]);
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(vol.header.geometry.origin[a] - cases[0].geometry.origin[a]) < 1e-6);
    assert.deepEqual(info.classMap, { '0': 'background', '1': 'organ', '2': 'lesion' });
    assert.ok(info.classVoxels['2'] > 0 && info.classVoxels['2'] < 0.01 * (info.classVoxels['0'] + info.classVoxels['1']));
  });

  it('maps a permuted, flipped label back onto the series grid exactly', () => {
    const info = JSON.parse(cli(['dataset', 'show', 'cohort', '--json'], env).stdout) as { series: { patientId: string; label: { volumePath: string } | null }[] };
    const label = readVolume(info.series.find((s) => s.patientId === 'SYN001')!.label!.volumePath);
    assert.deepEqual(label.data, cases[0].labels);
  });

  it('rejects a label whose spacing does not match, saying by how much, and an unmatched one', () => {
    const reasons = first.issues.map((i) => i.reason);
    assert.ok(
      reasons.some((r) => /SYN003|label rejected/.test(r) && /spacing .* does not match series spacing .* off by [\d.]+ mm/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(reasons.some((r) => /"NOBODY" matches no SeriesInstanceUID, PatientID or series folder/.test(r)));
    assert.equal(first.labelsMatched, 2);
    assert.equal(first.labelsRejected, 2);
  });

  it('is idempotent: a rerun re-parses and rebuilds nothing', () => {
    const again = ingestJson([path.join(dir, 'cohort', 'dicom'), '--dataset', 'cohort'], env);
    assert.equal(again.seriesBuilt, 0);
    assert.equal(again.seriesUnchanged, 3);
    assert.equal(again.unchangedFiles, again.files - again.rejectedFiles);
  });

  it('adds new series to an existing dataset', () => {
    const more = path.join(dir, 'more');
    smallCohort(more, 4);
    fs.rmSync(path.join(more, 'dicom', 'SYN001'), { recursive: true });
    const r = ingestJson([path.join(more, 'dicom', 'SYN004'), '--dataset', 'cohort'], env);
    assert.equal(r.seriesBuilt, 1);
    const list = JSON.parse(cli(['dataset', 'list', '--json'], env).stdout) as { name: string; series: number }[];
    assert.equal(list.find((d) => d.name === 'cohort')!.series, 4);
  });
});

describe('a series split across two imports', () => {
  it('is built from both folders and stays unchanged when either folder is ingested again', () => {
    const dir = tempDir('split');
    const env = isolatedEnv(dir);
    smallCohort(path.join(dir, 'cohort'), 1);
    const series = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen');
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.readdirSync(series)
      .sort()
      .forEach((name, i) => fs.copyFileSync(path.join(series, name), path.join(i % 2 ? b : a, name)));
    ingestJson([a, '--dataset', 'split'], env);
    const both = ingestJson([b, '--dataset', 'split'], env);
    assert.equal(both.series, 1);
    assert.equal(both.slices, 12);
    for (const folder of [a, b]) assert.equal(ingestJson([folder, '--dataset', 'split'], env).seriesBuilt, 0, `rerun of ${path.basename(folder)}`);
  });
});

describe('an ingest killed with SIGKILL', () => {
  it('leaves a consistent catalogue that a rerun completes', async () => {
    const dir = tempDir('kill');
    const env = isolatedEnv(dir);
    smallCohort(path.join(dir, 'cohort'), 8);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'k'], { env, stdio: 'ignore' });
    // Kill as soon as the first series has been committed.
    const cacheDir = path.join(dir, 'data', 'cache');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const done = fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).some((d) => fs.readdirSync(path.join(cacheDir, d)).some((f) => f.endsWith('.json')));
        if (done || child.exitCode !== null) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => child.once('exit', r));
    const r = cli(['ingest', path.join(dir, 'cohort', 'dicom'), '--dataset', 'k', '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
    assert.equal(summary.series, 8);
    assert.equal(summary.seriesBuilt + summary.seriesUnchanged, 8);
    assert.equal(summary.slices, 8 * 12);
  });
});
