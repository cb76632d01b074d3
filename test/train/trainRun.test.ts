import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { readVolume } from '../../src/data/volumeCache.js';
import { readNifti } from '../../src/nifti/nifti.js';
import type { RunReport } from '../../src/train/runReport.js';
import type { OperatingPoint } from '../../src/train/operatingPoint.js';
import { cli, ok, ROOT, run, trainingFixture } from '../helpers.js';

/** Sized for the 2-core CI machine: a few seconds per run. */
const CONFIG = {
  dataset: 'tiny',
  seed: 5,
  split: { test: 0.2, validation: 0.25 },
  model: { depth: 2, baseFilters: 8 },
  sampling: { patchSize: 32, batchSize: 4 },
  epochs: 4,
  batchesPerEpoch: 6,
  patience: 0,
  // A lesion sensitivity target: checkpoint selection respects it and the operating point is calibrated for it.
  fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.8 } } },
  // Test-time mirroring: the export must carry it for predict to reproduce the run's test prediction.
  inference: { mirror: true },
};

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop() as string) as T;

/** Epoch records that must match between an uninterrupted and a resumed run. */
const curve = (r: RunReport) => r.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valDice: e.valDice, weights: e.weights }));

describe('segfusion train (end to end, CLI)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let configFile: string;
  let reference: RunReport;

  before(() => {
    ({ dir, env, configFile } = trainingFixture('train', 6, 'tiny', CONFIG));
  });

  it('trains, evaluates the best checkpoint on the test split and stores everything', () => {
    const line = lastJson<{ runId: string; status: string; test: Record<string, { dice: { mean: number } }> }>(ok(cli(['train', '--config', configFile, '--json'], env)));
    assert.equal(line.status, 'completed');
    assert.deepEqual(Object.keys(line.test), ['organ', 'lesion']);
    reference = JSON.parse(ok(cli(['runs', 'show', line.runId, '--json'], env))) as RunReport;
    const r = reference;
    assert.equal(r.epochs.length, 4);
    assert.equal(r.epochsDone, 4);
    assert.ok(r.split);
    const { train, validation, test } = r.split;
    assert.equal(new Set([...train, ...validation, ...test]).size, 6, 'no patient in two splits');
    assert.equal(test.length, 1);
    assert.equal(r.plan?.format, 'segfusion-preprocessing');
    // wasm-native wherever oneDNN's headers let npm ci build the addon; its provider is recorded with the run.
    const native = fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');
    assert.equal((r.backend as { choice: string }).choice, native ? 'wasm-native' : 'wasm');
    if (native) assert.equal((r.backend as { kernels?: { provider: string } }).kernels?.provider, 'oneDNN');
    assert.ok(r.bestEpoch !== null && r.bestDice === Math.max(...r.epochs.map((e) => e.valDice ?? -1)));
    assert.ok(r.epochs.every((e) => Object.keys(e.weights).join() === 'dice,focal,sensitivitySpecificity' && Number.isFinite(e.loss)));
    // Per-case, per-class metrics for validation and test; predictions and both checkpoints as artifacts.
    assert.equal(r.cases.filter((c) => c.split === 'test').length, 2);
    assert.equal(r.cases.filter((c) => c.split === 'validation').length, 2 * validation.length);
    // Lesion-wise detection: every synthetic case has lesions; the split's totals pool its cases.
    const testLesions = r.cases.filter((c) => c.split === 'test' && c.className === 'lesion');
    assert.ok(testLesions.every((c) => c.lesions > 0 && c.lesionsFound <= c.lesions));
    assert.deepEqual({ lesions: r.lesions.test.lesion.lesions, found: r.lesions.test.lesion.lesionsFound }, { lesions: testLesions.reduce((s, c) => s + c.lesions, 0), found: testLesions.reduce((s, c) => s + c.lesionsFound, 0) });
    assert.match(ok(cli(['runs', 'show', line.runId], env)), /lesion-wise detection per class[\s\S]*lesion\s*│\s*\d+/);
    // Its first characters name it, as an abbreviated commit does.
    assert.equal((JSON.parse(ok(cli(['runs', 'show', line.runId.slice(0, 8), '--json'], env))) as RunReport).id, line.runId);
    // The operating point for the target: a threshold calibrated on validation, its test sensitivity with a CI.
    const op = r.operatingPoint?.['2'];
    assert.ok(op && op.target === 0.8 && op.threshold !== null && op.threshold > 0 && op.threshold < 1, JSON.stringify(r.operatingPoint));
    assert.ok(op.test && op.test.n === 1 && op.test.ci[0] <= op.test.sensitivity && op.test.sensitivity <= op.test.ci[1]);
    // The best epoch was judged as the final calibration judges the best checkpoint (each series' own
    // grid, the same cases and rule): the same threshold, and the same validation lesion Dice there.
    const best = r.epochs.find((e) => e.epoch === r.bestEpoch);
    assert.equal(best?.valMetrics.lesion?.threshold, op.threshold, JSON.stringify(best?.valMetrics.lesion));
    const validationLesion = r.cases.filter((c) => c.split === 'validation' && c.className === 'lesion');
    const meanDice = validationLesion.reduce((s, c) => s + c.dice, 0) / validationLesion.length;
    assert.ok(Math.abs(meanDice - (best?.valMetrics.lesion?.dice ?? Number.NaN)) < 1e-9, `final validation Dice ${meanDice}, best epoch's ${best?.valMetrics.lesion?.dice}`);
    const testLesion = r.cases.find((c) => c.split === 'test' && c.className === 'lesion');
    assert.ok(testLesion && Math.abs((testLesion.sensitivity as number) - op.test.sensitivity) < 1e-9, "the test sensitivity is the stored prediction's");
    // The FROC of the test split, over the same lesions. The prediction at the threshold also keeps the
    // arg-max's voxels below it, so it finds at least the lesions the curve's p >= t finds there.
    const froc = op.test.froc;
    assert.ok(froc && froc.cases === 1 && froc.lesions === r.lesions.test.lesion.lesions, JSON.stringify(froc?.rates));
    // Its one test case's counts, named by series, for a study to pair: they sum to the stored curve.
    assert.deepEqual(
      froc.perCase?.map((c) => [c.id, c.lesions, c.found.length]),
      [[testLesion.seriesInstanceUid, froc.lesions, froc.curve.length]],
    );
    assert.deepEqual(
      froc.perCase?.[0].found.map((n) => n / froc.lesions),
      froc.curve.map((q) => q.sensitivity),
    );
    const atThreshold = froc.curve.find((q) => q.t === op.threshold);
    assert.ok(atThreshold && atThreshold.sensitivity <= (r.lesions.test.lesion.detectionSensitivity as number) + 1e-9, JSON.stringify({ atThreshold, totals: r.lesions.test.lesion }));
    assert.ok(
      froc.rates.every((q, k) => q.sensitivity >= 0 && q.sensitivity <= 1 && (k === 0 || q.sensitivity >= froc.rates[k - 1].sensitivity)),
      'more false positives allowed never find fewer',
    );
    assert.match(
      ok(cli(['runs', 'show', line.runId], env)),
      /Operating point[\s\S]*lesion: target sensitivity 0.8[\s\S]*FROC on test \(every threshold, IoU >= 0\.1, \d+ lesions in 1 cases\): lesions found [\d.]+ at 1 false positive per case/,
    );
    const kinds = r.artifacts.map((a) => a.kind).sort();
    assert.deepEqual([...new Set(kinds)], ['checkpoint-best', 'checkpoint-latest', 'prediction']);
    for (const a of r.artifacts) assert.ok(fs.existsSync(a.path), a.path);
    const traces = new Database(path.join(dir, 'db.sqlite'), { readonly: true }).prepare('SELECT COUNT(*) AS n FROM BatchTrace WHERE runId = ?').get(r.id) as { n: number };
    assert.equal(traces.n, 24);
    const list = lastJson<{ total: number; runs: { id: string; status: string }[] }>(ok(cli(['runs', 'list', '--json'], env)));
    assert.deepEqual(
      list.runs.map((x) => [x.id, x.status]),
      [[r.id, 'completed']],
    );
  });

  it('is deterministic: kill -9 mid-run, resume, and the curves equal the uninterrupted run', async () => {
    const cached = () => fs.readdirSync(path.join(dir, 'data', 'cache', 'preprocessed')).sort();
    const before = cached();
    assert.ok(before.length > 0);
    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'train', '--config', configFile, '--json'], { cwd: ROOT, env, stdio: 'ignore' });
    let runId: string | undefined;
    for (let i = 0; i < 600 && !runId; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const row = db.prepare("SELECT r.id FROM Run r JOIN RunEpoch e ON e.runId = r.id WHERE r.status = 'running' GROUP BY r.id HAVING COUNT(*) >= 1").get() as { id: string } | undefined;
      runId = row?.id;
    }
    assert.ok(runId, 'the run never finished its first epoch');
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    db.close();
    const killed = JSON.parse(ok(cli(['runs', 'show', runId, '--json'], env))) as RunReport;
    assert.equal(killed.status, 'interrupted');
    assert.ok(killed.epochsDone >= 1 && killed.epochsDone < 4, `killed after ${killed.epochsDone} epochs`);
    const resumed = lastJson<{ runId: string; status: string }>(ok(cli(['train', '--resume', runId, '--json'], env)));
    assert.deepEqual(resumed.status, 'completed');
    const r = JSON.parse(ok(cli(['runs', 'show', runId, '--json'], env))) as RunReport;
    assert.deepEqual(curve(r), curve(reference));
    assert.deepEqual(r.test, reference.test);
    assert.deepEqual(cached(), before, 'the second run reused the preprocessed volumes');
  });

  it('Ctrl-C stops at the next batch as "cancelled"; a cancelled run resumes', async () => {
    const db = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'train', '--config', configFile, '--epochs', '3'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 600 && !stderr.includes('epoch 1:'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /Stopping after this batch/);
    const row = db.prepare('SELECT id, status FROM Run ORDER BY createdAt DESC LIMIT 1').get() as { id: string; status: string };
    db.close();
    assert.equal(row.status, 'cancelled');
    assert.equal(lastJson<{ status: string }>(ok(cli(['train', '--resume', row.id, '--json'], env))).status, 'completed');
  });

  it("exports the best model with its card's figures, and predict in a fresh process reproduces the run's test prediction (NIfTI + DICOM SEG), also from JPEG-LS", async () => {
    const out = path.join(dir, 'export');
    ok(cli(['export', reference.id, '--out', out, '--zip'], env));
    for (const f of ['model.json', 'group1-shard1of1.bin', 'segfusion.json', 'MODEL_CARD.md']) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.ok(fs.statSync(`${out}.zip`).size > 1000);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'segfusion.json'), 'utf8')) as { classes: string[]; runId: string; mirror: boolean; operatingPoint: Record<string, { threshold: number }> };
    assert.deepEqual(manifest.classes, ['background', 'organ', 'lesion']);
    assert.equal(manifest.mirror, true, 'the export says predict must mirror as the run did');
    assert.match(fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8'), /U-Net segmentation of \*\*organ, lesion\*\* .*, with test-time mirroring/);
    assert.equal(manifest.operatingPoint['2'].threshold, reference.operatingPoint?.['2'].threshold, 'the export carries the operating point predict applies');
    // It keeps the test FROC but not its per-case counts, which name the test series.
    const exported = fs.readFileSync(path.join(out, 'segfusion.json'), 'utf8');
    assert.ok(reference.operatingPoint?.['2'].test?.froc?.perCase?.length && (JSON.parse(exported) as { operatingPoint: OperatingPoint }).operatingPoint['2'].test?.froc?.curve.length);
    for (const c of reference.cases.filter((x) => x.split === 'test')) assert.ok(!exported.includes(c.seriesInstanceUid), `segfusion.json names test series ${c.seriesInstanceUid}`);
    assert.match(fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8'), /## Operating point\n[\s\S]*- lesion: target sensitivity 0.8/);
    assert.match(fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8'), /\| lesion \|/);
    // The card's pictures: every image it names is in the export (and its zip), curves as SVG, the worst
    // test cases as PNG of the series' size (scale 2) with the agreement overlay's colours in them.
    const card = fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8');
    const images = [...card.matchAll(/!\[[^\]]*\]\((figures\/[\w.-]+)\)/g)].map((m) => m[1]);
    assert.ok(images.includes('figures/validation-dice.svg') && images.includes('figures/training-loss.svg'), images.join());
    const worst = images.filter((f) => f.endsWith('.png'));
    assert.equal(worst.length, 2 * Math.min(3, reference.split!.test.length), 'up to three per foreground class');
    const zipped = Object.keys(unzipSync(new Uint8Array(fs.readFileSync(`${out}.zip`))));
    for (const f of images) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
      assert.ok(zipped.includes(f), `${f} in the zip`);
    }
    const { data, info } = await sharp(path.join(out, worst[0])).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [128, 128]);
    const colours = new Set<string>();
    for (let p = 0; p < info.width * info.height; p++) colours.add(String([data[p * info.channels], data[p * info.channels + 1], data[p * info.channels + 2]]));
    assert.ok(
      [...colours].some((c) => c.split(',').some((v, _i, a) => v !== a[0])),
      'the overlay is drawn',
    );
    assert.match(fs.readFileSync(path.join(out, 'figures', 'validation-dice.svg'), 'utf8'), /^<svg [^>]*role="img"/);

    const patient = reference.split!.test[0];
    const mask = path.join(dir, 'pred', 'mask.nii.gz');
    const seg = path.join(dir, 'pred', 'seg.dcm');
    const result = lastJson<{ seriesInstanceUid: string; classes: Record<string, { voxels: number }> }>(
      ok(cli(['predict', '--model', out, '--input', path.join(dir, 'cohort', 'dicom', patient), '--out', mask, '--seg', seg, '--json'], env)),
    );
    const stored = reference.artifacts.find((a) => a.kind === 'prediction' && a.name === result.seriesInstanceUid);
    assert.ok(stored, 'the run stored a prediction for this series');
    const expected = readVolume(stored.path).data;
    const nifti = readNifti(new Uint8Array(fs.readFileSync(mask)));
    assert.deepEqual([...nifti.data], [...expected]);
    const testCase = reference.cases.find((c) => c.split === 'test' && c.className === 'organ');
    assert.equal(result.classes.organ.voxels, testCase?.predictedVoxels);
    run('dcmdump', ['-q', '+E', seg]);

    // The same series as JPEG-LS lossless (dcmcjpls): the codecs load on demand and the mask is the same.
    const source = path.join(dir, 'cohort', 'dicom', patient);
    const jls = path.join(dir, 'pred', 'jpeg-ls');
    for (const f of fs.readdirSync(source, { recursive: true, encoding: 'utf8' })) {
      if (!fs.statSync(path.join(source, f)).isFile()) continue;
      fs.mkdirSync(path.dirname(path.join(jls, f)), { recursive: true });
      run('dcmcjpls', [path.join(source, f), path.join(jls, f)]);
    }
    const jlsMask = path.join(dir, 'pred', 'jpeg-ls.nii.gz');
    ok(cli(['predict', '--model', out, '--input', jls, '--out', jlsMask], env));
    assert.deepEqual([...readNifti(new Uint8Array(fs.readFileSync(jlsMask))).data], [...expected]);
  });

  it('a worker with an empty queue exits after zero jobs', () => {
    assert.match(ok(cli(['worker', '--once'], env)), /worker stopped after 0 job\(s\)/);
  });

  it('rejects a bad config with the field and reason, and no run is created', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...CONFIG, sampling: { patchSize: 30 } }));
    const r = cli(['train', '--config', bad], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /sampling\.patchSize: patchSize 30 must be divisible by 2\^depth = 4/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
    const runs = () => lastJson<{ total: number }>(ok(cli(['runs', 'list', '--json'], env))).total;
    const count = runs();
    const missing = cli(['train', '--dataset', 'nope'], env);
    assert.match(missing.stderr, /dataset "nope" does not exist/);
    const preset = cli(['train', '--config', configFile, '--preset', 'tiny-lesions'], env);
    assert.match(preset.stderr, /--preset must be one of auto, none, small-lesions, got "tiny-lesions"/);
    assert.equal(runs(), count);
    // The presets are listed with their help from the registry.
    assert.match(ok(cli(['train', '--help'], env)), /--preset <name>[\s\S]*Presets \(--preset[^\n]*\n {2}small-lesions {11}lesions of 1-3 voxels/);
  });

  it('cautions, live and in runs show, when a lesion-wise target rests on a handful of validation lesions', () => {
    const file = path.join(dir, 'coarse.json');
    // One validation patient: a 0.95 share of its few lesions means all of them.
    fs.writeFileSync(file, JSON.stringify({ ...CONFIG, epochs: 1, fusion: { strategy: 'static' }, sensitivityTargets: { '2': 0.95 }, operatingPoint: { basis: 'lesion' } }));
    const r = cli(['train', '--config', file, '--json'], env);
    assert.match(ok(r), /"status":"completed"/);
    assert.match(r.stderr, /\[running\] caution, lesion: the validation split holds only \d+ lesion\(s\), so a lesion-wise target of 0\.95 means finding all/);
    const { runId } = lastJson<{ runId: string }>(r.stdout);
    assert.match(ok(cli(['runs', 'show', runId], env)), /lesion: target lesion-wise sensitivity \(lesions found\) 0\.95 .*Caution: the validation split holds only \d+ lesion\(s\)/);
  });

  it('a conformal lesion target is the final calibration only: epochs are judged on the plain share', () => {
    const file = path.join(dir, 'conformal.json');
    fs.writeFileSync(file, JSON.stringify({ ...CONFIG, epochs: 1, fusion: { strategy: 'static' }, sensitivityTargets: { '2': 0.9 }, operatingPoint: { basis: 'lesion', conformal: true } }));
    const r = cli(['train', '--config', file, '--json'], env);
    assert.match(ok(r), /"status":"completed"/);
    // The epoch's judgement (live caution) words the plain share; the final operating point the conformal count,
    // which the one validation patient's few lesions cannot carry (⌈(n + 1) · 0.9⌉ > n for n <= 8).
    assert.match(r.stderr, /\[running\] caution, lesion: the validation split holds only \d lesion\(s\), so a lesion-wise target of 0\.9 means finding all/);
    const shown = ok(cli(['runs', 'show', lastJson<{ runId: string }>(r.stdout).runId], env));
    assert.match(shown, /lesion: target lesion-wise sensitivity \(lesions found\) 0\.9 \(conformal: a guarantee of 0\.9 needs more than \d validation lesions\) CANNOT be met on validation/);
    assert.match(shown, /Caution: the validation split holds only \d lesion\(s\), too few for a conformal lesion-wise target of 0\.9/);
  });

  it('selection.smoothing: epochs are judged on a moving average, carried in the checkpoint', () => {
    const file = path.join(dir, 'smoothed.json');
    fs.writeFileSync(file, JSON.stringify({ ...CONFIG, epochs: 2, selection: { smoothing: 0.6 } }));
    const r = cli(['train', '--config', file, '--json'], env);
    assert.match(ok(r), /"status":"completed"/);
    assert.match(r.stderr, /best epoch \d: validation dice \(mean over foreground classes\) \d\.\d{3}, smoothed over epochs \(0\.6\)/);
    const report = JSON.parse(ok(cli(['runs', 'show', lastJson<{ runId: string }>(r.stdout).runId, '--json'], env))) as RunReport;
    const checkpoints = path.join(dir, 'data', 'runs', report.id, 'checkpoints');
    const latest = JSON.parse(fs.readFileSync(path.join(checkpoints, 'latest.json'), 'utf8')) as { dir: string };
    const state = JSON.parse(fs.readFileSync(path.join(checkpoints, latest.dir, 'state.json'), 'utf8')) as { lastScore: { value: number; reached: Record<string, number> } };
    // Each epoch's own value is the mean foreground Dice at its thresholds, as stored per epoch.
    const own = report.epochs.map((e) => ((e.valMetrics.organ.dice as number) + (e.valMetrics.lesion.dice as number)) / 2);
    assert.ok(Math.abs(state.lastScore.value - (0.6 * own[0] + 0.4 * own[1])) < 1e-9, `${state.lastScore.value} against ${own}`);
    assert.ok(state.lastScore.reached['2'] >= 0 && state.lastScore.reached['2'] <= 1);
  });

  it('validates every validationInterval-th epoch and the last; training, and the validated epochs, as with every epoch validated', () => {
    const file = path.join(dir, 'interval.json');
    fs.writeFileSync(file, JSON.stringify({ ...CONFIG, validationInterval: 3 }));
    const r = cli(['train', '--config', file, '--json'], env);
    const { runId } = lastJson<{ runId: string }>(ok(r));
    const report = JSON.parse(ok(cli(['runs', 'show', runId, '--json'], env))) as RunReport;
    // Of 4 epochs the third (the interval's) and the fourth (the last) are validated.
    assert.deepEqual(
      report.epochs.map((e) => Object.keys(e.valMetrics).length > 0),
      [false, false, true, true],
    );
    assert.deepEqual(
      report.epochs.map((e) => e.valDice),
      reference.epochs.map((e, i) => (i >= 2 ? e.valDice : null)),
    );
    assert.deepEqual(
      report.epochs.map((e) => e.loss),
      reference.epochs.map((e) => e.loss),
    );
    assert.ok(report.bestEpoch === 2 || report.bestEpoch === 3, `best epoch ${report.bestEpoch}`);
    assert.match(r.stderr, /epoch 1: loss [\d.]+, not validated\n/);
    assert.match(r.stderr, /epoch 3: loss [\d.]+, validation Dice [\d.]+ \(organ [\d.]+, lesion [\d.]+\)/);
  });

  it('judges epochs mirrored, unless inference.mirrorEachEpoch is false, and calibrates and tests mirrored either way', () => {
    const trained = (inference: object) => {
      const file = path.join(dir, 'mirror-variant.json');
      fs.writeFileSync(file, JSON.stringify({ ...CONFIG, inference }));
      const { runId } = lastJson<{ runId: string }>(ok(cli(['train', '--config', file, '--json'], env)));
      return JSON.parse(ok(cli(['runs', 'show', runId, '--json'], env))) as RunReport;
    };
    // Validation does not touch the weights, so all three runs train the same network epoch by epoch.
    const plain = trained({ mirror: false });
    const finalOnly = trained({ mirror: true, mirrorEachEpoch: false });
    const valDice = (r: RunReport) => r.epochs.map((e) => e.valDice);
    assert.deepEqual(valDice(finalOnly), valDice(plain), 'mirrorEachEpoch false: epochs judged as without mirroring');
    assert.notDeepEqual(valDice(reference), valDice(plain), 'mirror alone: epochs judged mirrored');
    assert.deepEqual(
      finalOnly.epochs.map((e) => e.loss),
      reference.epochs.map((e) => e.loss),
    );
    // Same judgement, same best epoch: only the final evaluation's mirroring tells the two apart.
    assert.equal(finalOnly.bestEpoch, plain.bestEpoch);
    assert.notDeepEqual(finalOnly.test, plain.test, 'the test split of a mirroring run is segmented mirrored');
  });
});
