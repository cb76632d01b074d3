import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { StudyReport } from '../../src/studies/studyReport.js';
import { armConfig, parseArms } from '../../src/studies/study.js';
import { cli, ok, trainingFixture } from '../helpers.js';

const BASE = { model: { depth: 2, baseFilters: 4 }, sampling: { patchSize: 16, batchSize: 2 }, epochs: 2, batchesPerEpoch: 3, split: { test: 0.25, validation: 0.34 }, patience: 0, sensitivityTargets: { '2': 0.5 } };

describe('parseArms and armConfig', () => {
  it('makes a strategy name an arm with the same losses, keeping the base options of that strategy only', () => {
    const base = { fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.9 } } } };
    assert.deepEqual(parseArms(['static', 'batchAdaptive', 'tv={"losses":[{"name":"tversky"}]}'], base), [
      { name: 'static', overrides: { fusion: { strategy: 'static', options: {} } } },
      { name: 'batchAdaptive', overrides: { fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 0.9 } } } } },
      { name: 'tv', overrides: { losses: [{ name: 'tversky' }] } },
    ]);
    assert.throws(() => parseArms(['magic'], {}), /arm "magic" is not a fusion strategy/);
    assert.throws(() => parseArms(['x={bad'], {}), /arm "x": its overrides are not JSON/);
  });
  it('gives each arm the base with its overrides, fusion and losses replaced whole', () => {
    const base = { sampling: { patchSize: 32, batchSize: 4 }, fusion: { strategy: 'batchAdaptive', options: { targetGain: 3 } }, sensitivityTargets: { '2': 0.9 } };
    const [staticArm] = parseArms(['static'], base);
    assert.deepEqual(armConfig(base, staticArm, 'd', 2), { sampling: { patchSize: 32, batchSize: 4 }, fusion: { strategy: 'static', options: {} }, sensitivityTargets: { '2': 0.9 }, dataset: 'd', seed: 2 });
    assert.deepEqual(armConfig(base, { name: 'bs', overrides: { sampling: { batchSize: 8 } } }, 'd', 1).sampling, { patchSize: 32, batchSize: 8 });
  });
});

describe('segfusion study (CLI, 2 arms x 2 seeds)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let config: string;
  before(() => {
    ({ dir, env, configFile: config } = trainingFixture('study', 4, 's', BASE));
  });

  it('refuses a wrong arm before storing anything, naming the arm', () => {
    const r = cli(['study', 'create', '--dataset', 's', '--arms', 'static', '--arm', 'bad={"fusion":{"strategy":"gradnorm","options":{"alpha":-1}}}', '--config', config], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /arm "bad": run config: fusion\.options\.alpha/);
    assert.deepEqual(JSON.parse(ok(cli(['runs', 'list', '--json'], env))), { total: 0, runs: [] });
    const unknown = cli(['study', 'create', '--dataset', 's', '--arms', 'static', '--primary', 'tumour:dice', '--config', config], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /primary endpoint class "tumour" is not a foreground class of dataset "s" \(organ, lesion\)/);
    assert.deepEqual(JSON.parse(ok(cli(['runs', 'list', '--json'], env))), { total: 0, runs: [] });
  });

  it('queues arms x seeds as ordinary jobs, and reports paired comparisons with verdicts and an offline HTML file', () => {
    const created = JSON.parse(ok(cli(['study', 'create', '--dataset', 's', '--arms', 'static,batchAdaptive', '--seeds', '2', '--config', config, '--name', 'fusion check', '--primary', 'lesion:dice', '--json'], env))) as {
      studyId: string;
      runs: { arm: string; seed: number }[];
    };
    assert.deepEqual(
      created.runs.map((r) => `${r.arm}/${r.seed}`),
      ['static/1', 'batchAdaptive/1', 'static/2', 'batchAdaptive/2'],
    );
    ok(cli(['worker', '--once'], env));
    const html = path.join(dir, 'study.html');
    const report = JSON.parse(ok(cli(['study', 'show', created.studyId, '--json', '--html', html], env))) as StudyReport;
    assert.deepEqual(report.status, { completed: 4 });
    assert.equal(report.study.referenceArm, 'static');
    // One test patient per seed, the same for both arms: 2 pairs per class and metric.
    // The primary endpoint named at creation leads, alone in its family: its p is not adjusted.
    const [lesionDice, ...secondary] = report.comparisons;
    assert.deepEqual(report.study.primaryEndpoint, { className: 'lesion', metric: 'dice' });
    assert.ok(lesionDice.primary && lesionDice.className === 'lesion' && lesionDice.metric === 'dice' && lesionDice.n === 2 && lesionDice.pAdjusted === lesionDice.p);
    assert.ok(secondary.every((c) => !c.primary));
    assert.match(lesionDice.verdict, /^primary endpoint: batchAdaptive vs static on lesion dice: [+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\], p = \d\.\d{3} \(Holm\), n = 2 cases(: no significant difference)?$/);
    assert.equal(report.correction, `primary endpoint lesion dice (named at creation): Holm-Bonferroni over its 1 comparison; the other ${secondary.length} are secondary, Holm-Bonferroni over them`);
    assert.ok(report.arms.every((a) => a.completed === 2 && a.weights.length === 2));
    // The lesion target's test FROC, pooled over each arm's two runs: over the lesions its detection counts.
    for (const a of report.arms) {
      const f = a.froc.lesion;
      assert.ok(f && f.runs === 2 && f.cases === 2 && f.lesions === a.lesions.lesion.lesions && Object.keys(a.froc).join() === 'lesion', JSON.stringify(a.froc));
      assert.ok(f.rates.every((q, k) => k === 0 || q.sensitivity >= f.rates[k - 1].sensitivity));
      assert.ok(f.cpmCi && f.cpmCi[0] <= f.cpm && f.cpm <= f.cpmCi[1], `CPM ${f.cpm} outside ${f.cpmCi}`);
    }
    // Each run keeps its test cases' FROC counts, so the arms' CPMs are compared on the same cases: over
    // all of them here, the difference of the pooled CPMs above; 2 pairs give 4 swap patterns (p >= 0.5).
    const cpm = report.comparisons.filter((c) => c.metric === 'cpm');
    assert.deepEqual(
      cpm.map((c) => [c.arm, c.className, c.n, c.primary]),
      [['batchAdaptive', 'lesion', 2, false]],
    );
    const [staticArm, adaptiveArm] = report.arms;
    assert.ok(Math.abs((cpm[0].meanDifference ?? Number.NaN) - ((adaptiveArm.froc.lesion?.cpm ?? 0) - (staticArm.froc.lesion?.cpm ?? 0))) < 1e-12, JSON.stringify(cpm[0]));
    assert.ok((cpm[0].p ?? 0) >= 0.5);
    assert.match(cpm[0].verdict, /^batchAdaptive vs static on lesion FROC CPM: [+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\], p = \d\.\d{3} \(Holm; paired permutation test\), n = 2 cases: no significant difference$/);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(
      page,
      /<h2>Lesion detection over every threshold \(test FROC, pooled over seeds\)<\/h2>[\s\S]*<td>static<\/td><td>lesion<\/td>(<td>\d\.\d{3}<\/td>){7}<td>\d\.\d{3} <small>\[\d\.\d{3}, \d\.\d{3}\]<\/small><\/td><td>\d+ in 2 cases \(2 runs\)<\/td>/,
    );
    assert.match(page, /<svg[^>]*aria-label="lesion: lesions found against false positives per case \(test FROC\)"/);
    assert.match(page, /<h1>Study fusion check<\/h1>/);
    assert.match(page, /<svg[^>]*aria-label="fusion weight of dice"/);
    assert.doesNotMatch(page, /<script|<link|src="(?!data:image\/png;base64,)|href="http/, 'the report needs nothing from outside');
    // Per class, the reference arm's worst test case as each arm segments it: 2 classes x 2 arms pictures.
    assert.match(page, /<h2>The same case under each arm<\/h2>/);
    assert.equal([...page.matchAll(/<h3>(organ|lesion): \S+, seed 1, slice \d+<\/h3>/g)].length, 2);
    const pictures = [...page.matchAll(/<img alt="(static|batchAdaptive)" src="data:image\/png;base64,(iVBORw0KGgo[A-Za-z0-9+/=]+)"><figcaption>\1: Dice \d\.\d{3}<\/figcaption>/g)];
    assert.deepEqual(
      pictures.map((m) => m[1]),
      ['static', 'batchAdaptive', 'static', 'batchAdaptive'],
    );
    assert.match(
      ok(cli(['study', 'show', created.studyId.slice(0, 6)], env)),
      /test FROC, pooled over seeds[^\n]*\n[\s\S]*0\.125[\s\S]*CPM[\s\S]*batchAdaptive\s*│\s*lesion\s*│\s*\d\.\d{3}[\s\S]*Verdicts \(primary endpoint lesion dice \(named at creation\)[^\n]*\n {2}primary endpoint: batchAdaptive vs static on lesion dice/,
    );
    // The list names it by the start of its id, which study show takes.
    const listed = JSON.parse(ok(cli(['study', 'list', '--json'], env))) as { id: string; name: string; arms: string[]; runs: Record<string, number> }[];
    assert.deepEqual(
      listed.map((s) => [s.id, s.name, s.arms, s.runs]),
      [[created.studyId, 'fusion check', ['static', 'batchAdaptive'], { completed: 4 }]],
    );
    assert.match(ok(cli(['study', 'list'], env)), new RegExp(`${created.studyId.slice(0, 8)}\\s*│\\s*fusion check\\s*│\\s*s\\s*│\\s*static, batchAdaptive\\s*│\\s*2\\s*│\\s*4 completed`));
  });

  it('--preset lays a preset under --config for every arm; an unknown one is refused, naming the presets', () => {
    const bad = cli(['study', 'create', '--dataset', 's', '--arms', 'static', '--preset', 'tiny-lesions'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--preset must be one of auto, none, small-lesions, got "tiny-lesions"/);
    const created = JSON.parse(ok(cli(['study', 'create', '--dataset', 's', '--arms', 'static', '--seeds', '1', '--preset', 'small-lesions', '--config', config, '--json'], env))) as { runs: { id: string }[] };
    const run = JSON.parse(ok(cli(['runs', 'show', created.runs[0].id, '--json'], env))) as { config: { epochs: number; patience: number; model: { inputSlices: number; depth: number } } };
    // --config's epochs, patience and depth over the preset's 48, 16 and default depth; the preset's 3 slices.
    assert.deepEqual([run.config.epochs, run.config.patience, run.config.model.depth, run.config.model.inputSlices], [BASE.epochs, BASE.patience, BASE.model.depth, 3]);
  });
});

describe('--preset auto (the default): the preset the dataset calls for', () => {
  it('none for lesions of hundreds of voxels, small-lesions for a hard cohort, said on stderr; --preset none goes without', () => {
    const { env } = trainingFixture('auto-preset', 4, 's', BASE);
    // The fixture's lesions: 299, 245, 297 and 198 voxels, a median of 271.
    assert.match(ok(cli(['dataset', 'show', 's'], env)), /Preset for "auto": none \(no class is small: the smallest, class 2 "lesion" has a median of 271 voxels per case \(4 cases\), is over 100\)/);
    const easy = cli(['study', 'create', '--dataset', 's', '--arms', 'static', '--seeds', '1', '--json'], env);
    assert.equal(easy.status, 0, easy.stderr);
    assert.doesNotMatch(easy.stderr, /Preset/);
    ok(cli(['demo', '--difficulty', 'hard', '--patients', '3', '--seed', '5', '--out', path.join(env.SEGFUSION_DATA_DIR as string, 'hard'), '--ingest'], env));
    const hard = cli(['study', 'create', '--dataset', 'demo-hard', '--arms', 'static', '--seeds', '1', '--json'], env);
    assert.equal(hard.status, 0, hard.stderr);
    assert.match(hard.stderr, /^Preset small-lesions \(auto: class 2 "lesion" has a median of [\d.]+ voxels per case \(3 cases\): at most 100\); --preset none trains without it\.$/m);
    const none = cli(['study', 'create', '--dataset', 'demo-hard', '--arms', 'static', '--seeds', '1', '--preset', 'none', '--json'], env);
    assert.doesNotMatch(none.stderr, /Preset/);
    const slices = (created: string) => {
      const { runs } = JSON.parse(created) as { runs: { id: string }[] };
      return (JSON.parse(ok(cli(['runs', 'show', runs[0].id, '--json'], env))) as { config: { model: { inputSlices: number } } }).config.model.inputSlices;
    };
    assert.deepEqual([slices(easy.stdout), slices(hard.stdout), slices(ok(none))], [1, 3, 1]);
    // A study of one arm has nothing to compare, and says so rather than "Holm over 0 comparisons".
    const { studyId } = JSON.parse(easy.stdout) as { studyId: string };
    assert.match(ok(cli(['study', 'show', studyId], env)), /^Verdicts \(none: the study has one arm, so nothing is compared\):$/m);
  });
});
