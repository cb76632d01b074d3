import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { segToLabelVolume } from '../../src/data/segAlign.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { readSegmentation } from '../../src/dicom/seg.js';
import { loadConfig } from '../../src/config.js';
import { readNifti } from '../../src/nifti/nifti.js';
import { startServer } from '../../src/server/serve.js';
import type { SyntheticCase } from '../../src/data/synthetic.js';
import { cli, isolatedEnv, ok, PYTHON, run, smallCohort, tempDir } from '../helpers.js';
import { startOrthanc, type OrthancServer } from '../orthanc.js';

/** Sized for the 2-core CI machine: one short epoch; the round trip, not the model, is under test. */
const CONFIG = {
  dataset: 'pacs',
  seed: 3,
  split: { test: 0.25, validation: 0.25 },
  model: { depth: 2, baseFilters: 8 },
  sampling: { patchSize: 32, batchSize: 4 },
  epochs: 1,
  batchesPerEpoch: 3,
  patience: 0,
};

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop() as string) as T;

interface Summary {
  series: number;
  labelsMatched: number;
  errors: number;
  pulled: { series: number; instances: number; downloaded: number; reused: number; failed: unknown[] };
}

describe('PACS round trip against a real Orthanc (DICOMweb: QIDO-RS, WADO-RS, STOW-RS)', () => {
  let dir: string;
  let orthanc: OrthancServer;
  let env: NodeJS.ProcessEnv;
  let cases: SyntheticCase[];
  let runId: string;
  let testCase: SyntheticCase;

  before(async () => {
    dir = tempDir('pacs');
    orthanc = await startOrthanc(path.join(dir, 'orthanc'));
    env = { ...isolatedEnv(dir), SEGFUSION_DICOMWEB_USER: orthanc.user, SEGFUSION_DICOMWEB_PASSWORD: orthanc.password };
    cases = smallCohort(path.join(dir, 'cohort'), 4);
    // Uploaded through Orthanc's own REST API, so the pull is checked against files SegFusion did not send.
    for (const f of fs.readdirSync(path.join(dir, 'cohort', 'dicom'), { recursive: true, encoding: 'utf8' })) {
      const file = path.join(dir, 'cohort', 'dicom', f);
      if (!fs.statSync(file).isFile()) continue;
      const res = await orthanc.api('/instances', { method: 'POST', body: new Uint8Array(fs.readFileSync(file)) });
      assert.ok(res.ok, `upload ${f}: ${res.status}`);
    }
  });
  after(() => orthanc?.stop());

  it('ingests a QIDO query over DICOMweb with its labels; a rerun retrieves nothing again', () => {
    const args = ['ingest', orthanc.dicomweb, '--query', 'Modality=CT', '-d', 'pacs', '--labels', path.join(dir, 'cohort', 'labels'), '--json'];
    const first = lastJson<Summary>(ok(cli(args, env)));
    const instances = cases.reduce((n, c) => n + c.geometry.size[2], 0);
    assert.deepEqual([first.pulled.series, first.pulled.instances, first.pulled.downloaded, first.pulled.failed.length], [4, instances, instances, 0]);
    assert.deepEqual([first.series, first.labelsMatched, first.errors], [4, 4, 0]);
    const again = lastJson<Summary>(ok(cli(args, env)));
    assert.deepEqual([again.pulled.downloaded, again.pulled.reused, again.series], [0, instances, 4]);
    // The volumes equal the folder ingest of the same files (geometry and voxel counts of the labels).
    const shown = JSON.parse(ok(cli(['dataset', 'show', 'pacs', '--json'], env))) as { series: { seriesInstanceUid: string; geometry: { size: number[] } }[]; classVoxels: Record<string, number> };
    for (const c of cases) assert.deepEqual(shown.series.find((s) => s.seriesInstanceUid === c.seriesUid)?.geometry.size, c.geometry.size);
    const lesion = cases.reduce((n, c) => n + c.labels.filter((v) => v === 2).length, 0);
    assert.equal(shown.classVoxels['2'], lesion);
  });

  it('names the failure in one line and never prints the credentials', () => {
    const bad = cli(['ingest', orthanc.dicomweb, '--query', 'Modality=CT', '-d', 'pacs'], { ...env, SEGFUSION_DICOMWEB_PASSWORD: 'wrong-password-123' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /401 Unauthorized: the server refused the credentials/);
    assert.ok(!`${bad.stdout}${bad.stderr}`.includes('wrong-password-123'));
    const inUrl = cli(['ingest', orthanc.dicomweb.replace('//', `//${orthanc.user}:${orthanc.password}@`), '--query', 'Modality=CT', '-d', 'pacs'], env);
    assert.match(inUrl.stderr, /credentials in a DICOMweb address are refused/);
    assert.match(cli(['ingest', orthanc.dicomweb, '--study', '1.2/../x', '-d', 'pacs'], env).stderr, /--study "1.2\/..\/x" has characters other than digits/);
    assert.match(cli(['ingest', orthanc.dicomweb, '--query', 'Modality=CT', '-d', 'pacs', '--study', '1.2'], env).stderr, /one of them/);
  });

  it('trains, predicts a study pulled from Orthanc, pushes the SEG back; Orthanc returns it voxel for voxel', async () => {
    const configFile = path.join(dir, 'run.json');
    fs.writeFileSync(configFile, JSON.stringify(CONFIG));
    const trained = lastJson<{ runId: string; status: string }>(ok(cli(['train', '--config', configFile, '--json'], env)));
    assert.equal(trained.status, 'completed');
    const model = path.join(dir, 'model');
    ok(cli(['export', trained.runId, '--out', model], env));
    const split = (JSON.parse(ok(cli(['runs', 'show', trained.runId, '--json'], env))) as { split: { test: string[] } }).split;
    const c = cases.find((x) => x.patientId === split.test[0])!;

    const mask = path.join(dir, 'pred', 'mask.nii.gz');
    const result = lastJson<{ seriesInstanceUid: string; pushed: string; classes: Record<string, { voxels: number }> }>(
      ok(cli(['predict', '--model', model, '--input', orthanc.dicomweb, '--study', c.studyUid, '--out', mask, '--push', orthanc.dicomweb, '--json'], env)),
    );
    assert.equal(result.seriesInstanceUid, c.seriesUid);
    assert.match(result.pushed, /127\.0\.0\.1:\d+\/dicom-web/);

    // Read back with Orthanc's REST API: the study now holds a SEG series.
    const series = (await (await orthanc.api(`/studies/${await orthancId(orthanc, c.studyUid)}/series?expand`)).json()) as { MainDicomTags: { Modality: string }; Instances: string[] }[];
    const segSeries = series.filter((s) => s.MainDicomTags.Modality === 'SEG');
    assert.equal(segSeries.length, 1);
    const segFile = path.join(dir, 'pred', 'from-orthanc.dcm');
    fs.writeFileSync(segFile, Buffer.from(await (await orthanc.api(`/instances/${segSeries[0].Instances[0]}/file`)).arrayBuffer()));

    // Voxel for voxel against the label map predict wrote, slices matched by the source SOP instances.
    const parsed = parseDicom(fs.readFileSync(segFile), segFile);
    const seg = readSegmentation(parsed.dataSet, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), segFile);
    const sliceBySop = new Map<string, number>();
    for (const f of fs.readdirSync(path.join(dir, 'cohort', 'dicom', c.patientId), { recursive: true, encoding: 'utf8' })) {
      const file = path.join(dir, 'cohort', 'dicom', c.patientId, f);
      if (!fs.statSync(file).isFile()) continue;
      const p = parseDicom(fs.readFileSync(file), file);
      const h = readInstanceHeader(p.dataSet, p.transferSyntaxUid);
      sliceBySop.set(h.sopInstanceUid, Math.round((h.framePositions![0][2] - c.geometry.origin[2]) / c.geometry.spacing[2]));
    }
    const fromOrthanc = segToLabelVolume(seg, c.geometry, sliceBySop).data;
    const predicted = readNifti(new Uint8Array(fs.readFileSync(mask))).data;
    assert.ok(
      predicted.some((v) => v > 0),
      'the prediction has foreground, so the comparison is not of two empty maps',
    );
    assert.deepEqual([...fromOrthanc], [...predicted]);

    // Independently, pydicom's per-segment voxel counts equal predict's, and the segments are SCT-coded.
    const py = JSON.parse(
      run(PYTHON, [
        '-c',
        `import pydicom, json, sys
ds = pydicom.dcmread(sys.argv[1]); a = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
counts = {}
for i, f in enumerate(ds.PerFrameFunctionalGroupsSequence):
    s = int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber); counts[s] = counts.get(s, 0) + int(a[i].sum())
print(json.dumps({"counts": counts, "schemes": sorted({s.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator for s in ds.SegmentSequence})}))`,
        segFile,
      ]),
    ) as { counts: Record<string, number>; schemes: string[] };
    assert.deepEqual(py.schemes, ['SCT']);
    assert.equal(py.counts['1'] ?? 0, result.classes.organ.voxels);
    assert.equal(py.counts['2'] ?? 0, result.classes.lesion.voxels);
    runId = trained.runId;
    testCase = c;

    // The same SEG by C-STORE (storescu's route) to Orthanc's DICOM port, through dcmjs-dimse.
    const before = await segInstances(orthanc, c.studyUid);
    const viaDimse = lastJson<{ pushed: string }>(ok(cli(['predict', '--model', model, '--input', orthanc.dicomweb, '--study', c.studyUid, '--out', path.join(dir, 'pred', 'dimse.nii.gz'), '--push', orthanc.dimse, '--json'], env)));
    assert.match(viaDimse.pushed, /^ORTHANC@127\.0\.0\.1:\d+$/);
    assert.equal((await segInstances(orthanc, c.studyUid)) - before, 1);
    const refused = cli(['predict', '--model', model, '--input', orthanc.dicomweb, '--study', c.studyUid, '--out', path.join(dir, 'pred', 'x.nii.gz'), '--push', 'dicom://ORTHANC@127.0.0.1:1'], env);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /C-STORE to ORTHANC@127.0.0.1:1: .*ECONNREFUSED/);
    assert.match(cli(['predict', '--model', model, '--input', orthanc.dicomweb, '--study', c.studyUid, '--out', path.join(dir, 'pred', 'x.nii.gz'), '--push', 'dicom://127.0.0.1:4242'], env).stderr, /expected dicom:\/\/CALLED_AE@HOST:PORT/);
  });

  it('the dashboard API lists only configured servers, pulls a study as a job and sends a case SEG to the PACS', async () => {
    const config = loadConfig({ ...env, SEGFUSION_DICOMWEB_SERVERS: `orthanc=${orthanc.dicomweb}` });
    const server = await startServer(config, { host: '127.0.0.1', port: 0, worker: false, demo: null });
    const call = async (p: string, body?: unknown) => {
      const res = await fetch(`${server.url}${p}`, { method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    try {
      const listed = await call('/api/pacs');
      assert.deepEqual(JSON.parse(listed.text), { servers: [{ name: 'orthanc', address: orthanc.dicomweb.replace('dicomweb://', '') }] });
      assert.ok(!listed.text.includes(orthanc.password));
      // Only configured names: no free URL reaches the server's network.
      const unknown = await call('/api/datasets/ingest-pacs', { dataset: 'x', server: 'http://10.0.0.1/', study: '1.2' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.text, /"field":"server".*no PACS named/);
      assert.equal((await call('/api/datasets/ingest-pacs', { dataset: 'x', server: 'orthanc' })).status, 400);

      const queued = await call('/api/datasets/ingest-pacs', { dataset: 'from-dashboard', server: 'orthanc', study: cases[0].studyUid });
      assert.equal(queued.status, 202, queued.text);
      ok(cli(['worker', '--once'], env));
      const shown = JSON.parse(ok(cli(['dataset', 'show', 'from-dashboard', '--json'], env))) as { series: { seriesInstanceUid: string }[] };
      assert.deepEqual(
        shown.series.map((x) => x.seriesInstanceUid),
        [cases[0].seriesUid],
      );

      const before = await segInstances(orthanc, testCase.studyUid);
      const pushed = await call(`/api/runs/${runId}/cases/${testCase.seriesUid}/push`, { server: 'orthanc' });
      assert.equal(pushed.status, 200, pushed.text);
      assert.equal((await segInstances(orthanc, testCase.studyUid)) - before, 1);
      const noPrediction = await call(`/api/runs/${runId}/cases/1.2.3.4/push`, { server: 'orthanc' });
      assert.equal(noPrediction.status, 404);
    } finally {
      await server.close();
    }
  });
});

/** SEG instances Orthanc holds for a study. */
async function segInstances(orthanc: OrthancServer, studyUid: string): Promise<number> {
  const series = (await (await orthanc.api(`/studies/${await orthancId(orthanc, studyUid)}/series?expand`)).json()) as { MainDicomTags: { Modality: string }; Instances: string[] }[];
  return series.filter((s) => s.MainDicomTags.Modality === 'SEG').reduce((n, s) => n + s.Instances.length, 0);
}

/** Orthanc's own identifier of a study, looked up by its StudyInstanceUID. */
async function orthancId(orthanc: OrthancServer, studyUid: string): Promise<string> {
  const found = (await (await orthanc.api('/tools/lookup', { method: 'POST', body: studyUid })).json()) as { ID: string; Type: string }[];
  const study = found.find((f) => f.Type === 'Study');
  assert.ok(study, `Orthanc has no study ${studyUid}`);
  return study.ID;
}
