import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ServeError, startServer } from '../../src/server/serve.js';
import { downloadName } from '../../src/server/services/runsService.js';
import { openDb } from '../../src/db/client.js';
import { datasetClassSpecs, findDataset, setClassMap } from '../../src/db/catalog.js';
import { runIngestJob } from '../../src/jobs/ingestJobs.js';
import { claimJob } from '../../src/db/jobs.js';
import { ensureSyntheticCohort, HARD_COHORT } from '../../src/data/synthetic.js';
import { tempDir } from '../helpers.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; issues?: { field: string; message: string }[] } };

describe('JSON API', () => {
  let dir: string;
  let base: string;
  let close: () => Promise<void>;
  const call = async (p: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${base}${p}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.body !== undefined || init.raw ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : {}) as Json, text };
  };

  before(async () => {
    dir = tempDir('api');
    fs.mkdirSync(path.join(dir, 'roots', 'inside'), { recursive: true });
    fs.symlinkSync('/etc', path.join(dir, 'roots', 'escape'));
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data'), SEGFUSION_INGEST_ROOTS: path.join(dir, 'roots') });
    const server = await startServer(config, { host: '127.0.0.1', port: 0, worker: false, demo: { dir: path.join(dir, 'demo'), patients: 3 } });
    base = server.url;
    close = server.close;
  });
  after(async () => close());

  it('answers health, with helmet headers', async () => {
    const r = await call('/api/health');
    assert.deepEqual(r.json, {
      status: 'ok',
      checks: [
        { name: 'database', ok: true, detail: 'reachable' },
        { name: 'dataFolder', ok: true, detail: 'writable' },
      ],
    });
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });

  it('lists the demo dataset ingested on first start, with pagination', async () => {
    const r = await call('/api/datasets?limit=10&offset=0');
    assert.equal(r.json.total, 1);
    assert.equal((r.json.items as { name: string; patients: number }[])[0].patients, 3);
    const bad = await call('/api/datasets?limit=0');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error?.issues?.[0].field, 'limit');
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['a patch size the U-Net cannot halve', { config: { dataset: 'demo', sampling: { patchSize: 30 } } }, 'config.sampling.patchSize', /must be divisible by 2\^depth = 8 \(the U-Net halves it 3 times\): try 24 or 32$/],
    ['epochs out of range', { config: { dataset: 'demo', epochs: 0 } }, 'config.epochs', /^must be at least 1 \(got 0\): try 1$/],
    ['a misspelt schedule', { config: { dataset: 'demo', optimizer: { schedule: 'cosin' } } }, 'config.optimizer.schedule', /^must be one of "poly", "cosine", "constant" \(got "cosin"\): did you mean "cosine"\?$/],
    // The demo's 128-pixel series at up to 1.43 mm are 137 pixels at the median spacing 1.33 mm; 136 = 17 x 2^3.
    ['a patch larger than every image', { config: { dataset: 'demo', sampling: { patchSize: 256 } } }, 'config.sampling.patchSize', /larger than every image of dataset "demo" \(at most 137 pixels across at 1\.33 x 1\.33 mm\); try 136/],
    ['no dataset', { config: {} }, 'config.dataset', /./],
    ['an unknown strategy', { config: { dataset: 'demo', fusion: { strategy: 'magic' } } }, 'config.fusion.strategy', /./],
    ['a negative learning rate', { config: { dataset: 'demo', optimizer: { learningRate: -1 } } }, 'config.optimizer.learningRate', /./],
    ['tags that are not strings', { tags: [1], config: { dataset: 'demo' } }, 'tags.0', /./],
    ['an unknown preset', { preset: 'tiny-lesions', config: { dataset: 'demo' } }, 'preset', /"small-lesions"/],
    // The preset is laid under the config before it is validated: the merged field is the one named.
    ['a preset with a config that breaks it', { preset: 'small-lesions', config: { dataset: 'demo', split: { validation: 0.6 } } }, 'config.split.validation', /at most 0\.5/],
  ];
  for (const [name, body, field, message] of invalid) {
    it(`POST /api/runs with ${name}: 400 naming ${field}`, async () => {
      const r = await call('/api/runs', { method: 'POST', body });
      assert.equal(r.status, 400);
      assert.equal(r.json.error?.code, 'validation');
      const issue = r.json.error?.issues?.find((i) => i.field === field);
      assert.ok(issue, JSON.stringify(r.json));
      assert.match(issue.message, message);
      assert.doesNotMatch(r.text, /at .+\.(ts|js):\d+/, 'no stack trace');
    });
  }

  /** A raw request, for what fetch cannot send (a Host header, a malformed path, a lying Content-Encoding). */
  const raw = (p: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) =>
    new Promise<{ status: number; json: Json }>((resolve, reject) => {
      const u = new URL(base);
      const req = http.request({ host: u.hostname, port: u.port, path: p, method: o.method ?? 'GET', headers: o.headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Json }));
      });
      req.on('error', reject);
      req.end(o.body);
    });

  it('answers only Host names of its own (DNS rebinding)', async () => {
    const port = new URL(base).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) assert.equal((await raw('/api/datasets', { headers: { host } })).status, 200, host);
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.attacker.example:${port}`]) {
      const r = await raw('/api/datasets', { headers: { host } });
      assert.equal(r.status, 421, host);
      assert.equal(r.json.error?.code, 'misdirected');
    }
  });

  it('answers client errors of the transport with 4xx in the one shape', async () => {
    const json = Buffer.from(JSON.stringify({ config: { dataset: 'demo' } }));
    const cases: [string, Parameters<typeof raw>[1], number, RegExp][] = [
      ['/api/runs', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'x-unknown' }, body: json }, 415, /unsupported content encoding "x-unknown"/],
      ['/api/runs', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: json }, 400, /./],
      ['/api/runs/%', {}, 400, /malformed percent-encoding in the path "\/api\/runs\/%"/],
      ['/api/runs/%E0%A4%A', {}, 400, /malformed percent-encoding/],
    ];
    for (const [p, o, status, message] of cases) {
      const r = await raw(p, o);
      assert.equal(r.status, status, `${p} ${JSON.stringify(o?.headers)}`);
      assert.match(r.json.error?.message ?? '', message);
    }
  });

  it('lists the loss and fusion registries with help, capabilities and options schemas', async () => {
    const r = await call('/api/plugins');
    const body = r.json as unknown as { losses: { name: string; options: { properties: Record<string, { default?: unknown; maximum?: number }> } }[]; strategies: { name: string; capabilities: { gradientNorms: boolean } }[] };
    assert.deepEqual(
      body.losses.map((l) => l.name),
      ['dice', 'focal', 'sensitivitySpecificity', 'crossEntropy', 'tversky'],
    );
    const gamma = body.losses.find((l) => l.name === 'focal')?.options.properties.gamma as { description?: string };
    assert.deepEqual({ ...gamma, description: undefined }, { default: 2, description: undefined, type: 'number', minimum: 0, maximum: 10 });
    assert.match(gamma.description ?? '', /Focusing parameter γ in \[0, 10\] \(default 2/, 'each option carries its one line of help');
    assert.deepEqual(
      body.strategies.filter((s) => s.capabilities.gradientNorms).map((s) => s.name),
      ['gradnorm'],
    );
  });

  it('validates strategy and loss options at launch: 400 with the field, nothing stored', async () => {
    const before = ((await call('/api/runs')).json.total as number) ?? 0;
    for (const [config, field] of [
      [{ dataset: 'demo', fusion: { strategy: 'gradnorm', options: { alpha: -1 } } }, 'config.fusion.options.alpha'],
      [{ dataset: 'demo', fusion: { strategy: 'batchAdaptive', options: { sensitivityTargets: { '2': 1.5 } } } }, 'config.fusion.options.sensitivityTargets.2'],
      [{ dataset: 'demo', losses: [{ name: 'dice' }, { name: 'focal', options: { gamma: 11 } }] }, 'config.losses.1.options.gamma'],
    ] as const) {
      const r = await call('/api/runs', { method: 'POST', body: { config } });
      assert.equal(r.status, 400, JSON.stringify(config));
      assert.equal(r.json.error?.issues?.[0].field, field);
    }
    assert.equal((await call('/api/runs')).json.total, before);
  });

  it('rejects unknown run-config fields with their path (a typo is not ignored)', async () => {
    for (const [body, field, message] of [
      [{ config: { dataset: 'demo', modle: { depth: 3 } } }, 'config', 'unknown field "modle": did you mean "model"?'],
      [{ config: { dataset: 'demo', model: { dpeth: 3 } } }, 'config.model', 'unknown field "dpeth": did you mean "depth"?'],
      [{ config: { dataset: 'demo', fusion: { strategy: 'static', optoins: {} } } }, 'config.fusion', 'unknown field "optoins": did you mean "options"?'],
      [{ nmae: 'x', config: { dataset: 'demo' } }, '(body)', 'unknown field "nmae": did you mean "name"?'],
    ] as const) {
      const r = await call('/api/runs', { method: 'POST', body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error?.issues?.[0].field, field);
      assert.equal(r.json.error?.issues?.[0].message, message);
    }
  });

  it('404s unknown runs, datasets, jobs and endpoints in the one error shape', async () => {
    for (const p of ['/api/runs/nope', '/api/datasets/nope', '/api/jobs/nope', '/api/nothing-here', '/api/runs/nope/curves']) {
      const r = await call(p);
      assert.equal(r.status, 404, p);
      assert.equal(r.json.error?.code, 'not_found', p);
    }
    const dataset = await call('/api/runs', { method: 'POST', body: { config: { dataset: 'nope' } } });
    assert.equal(dataset.status, 404);
    assert.match(dataset.json.error?.message ?? '', /dataset "nope" does not exist/);
  });

  it('rejects malformed and oversized bodies', async () => {
    const malformed = await call('/api/runs', { method: 'POST', raw: '{"config":' });
    assert.equal(malformed.status, 400);
    const big = await call('/api/runs', { method: 'POST', raw: JSON.stringify({ notes: 'x'.repeat(200_000), config: { dataset: 'demo' } }) });
    assert.equal(big.status, 413);
  });

  it('ingests only inside the configured roots: no "../", no symbolic link out', async () => {
    for (const p of [path.join(dir, 'roots', '..'), '../../../../../etc', path.join(dir, 'roots', 'escape'), '/etc']) {
      const r = await call('/api/datasets/ingest', { method: 'POST', body: { dataset: 'x', path: p } });
      assert.equal(r.status, 403, `${p}: ${r.text}`);
      assert.match(r.json.error?.message ?? '', /outside the folders the server may ingest from/);
    }
    const missing = await call('/api/datasets/ingest', { method: 'POST', body: { dataset: 'x', path: 'missing' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error?.issues?.[0].field, 'path');
    const bad = await call('/api/datasets/ingest', { method: 'POST', body: { dataset: '../x', path: 'inside' } });
    assert.equal(bad.json.error?.issues?.[0].field, 'dataset');
    const ok = await call('/api/datasets/ingest', { method: 'POST', body: { dataset: 'x', path: 'inside' } });
    assert.equal(ok.status, 202);
    assert.equal((await call(`/api/jobs/${ok.json.jobId as string}`)).json.kind, 'ingest');
  });

  it("offers as primary endpoints exactly the classes it accepts, a label value missing from the class map included ('class N')", async () => {
    const db = await openDb(`file:${path.join(dir, 'db.sqlite')}`);
    const demo = await findDataset(db, 'demo');
    assert.ok(demo);
    const specs = await datasetClassSpecs(db, 'demo');
    try {
      // The labels hold values 1 and 2; a class map naming only 1 leaves 2 to be called "class 2".
      await setClassMap(db, demo.id, { '0': 'background', '1': 'organ' }, null);
      const offered = ((await call('/api/datasets/demo')).json.classSizes as { name: string }[]).map((c) => c.name);
      assert.deepEqual(offered, ['organ', 'class 2']);
      const refused = await call('/api/studies', { method: 'POST', body: { name: 'x', dataset: 'demo', arms: ['static'], primaryEndpoint: { className: 'lesion', metric: 'dice' } } });
      assert.equal(refused.status, 400);
      assert.match(refused.json.error?.message ?? '', /primary endpoint class "lesion" is not a foreground class of dataset "demo" \(organ, class 2\)/);
    } finally {
      await setClassMap(db, demo.id, demo.classMap, specs);
      await db.$disconnect();
    }
  });

  it('creates a study from the API (arms x seeds queued), lists it and serves its report as JSON and HTML', async () => {
    const bad = await call('/api/studies', { method: 'POST', body: { name: 'x', dataset: 'demo', arms: ['static', 'bad={"fusion":{"strategy":"gradnorm","options":{"alpha":-1}}}'] } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error?.message ?? '', /arm "bad": run config: fusion\.options\.alpha/);
    const badEndpoint = await call('/api/studies', { method: 'POST', body: { name: 'x', dataset: 'demo', arms: ['static'], primaryEndpoint: { className: 'lesion', metric: 'auc' } } });
    assert.equal(badEndpoint.status, 400);
    assert.equal(badEndpoint.json.error?.issues?.[0].field, 'primaryEndpoint.metric');
    const created = await call('/api/studies', { method: 'POST', body: { name: 'api study', dataset: 'demo', arms: ['static', 'batchAdaptive'], seeds: 1, baseConfig: { sensitivityTargets: { '2': 0.9 } } } });
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;
    assert.equal((created.json.runs as unknown[]).length, 2);
    assert.ok(((await call('/api/studies')).json.items as { id: string }[]).some((s) => s.id === id));
    const report = await call(`/api/studies/${id}`);
    assert.deepEqual(report.json.status, { queued: 2 });
    const html = await fetch(`${base}/api/studies/${id}/report.html`);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<h1>Study api study<\/h1>/);
    assert.equal((await call('/api/studies/nope')).status, 404);
    // Queued runs are cancelled before they can be deleted, as any run.
    for (const r of created.json.runs as { id: string }[]) {
      assert.equal((await call(`/api/runs/${r.id}/cancel`, { method: 'POST' })).status, 202);
      assert.equal((await call(`/api/runs/${r.id}`, { method: 'DELETE' })).status, 204);
    }
  });

  it('lays a preset under the config of a run and of a study: the config wins where both set a field', async () => {
    const created = await call('/api/runs', { method: 'POST', body: { preset: 'small-lesions', config: { dataset: 'demo', epochs: 2, model: { depth: 2 } } } });
    assert.equal(created.status, 201, created.text);
    const run = created.json.run as {
      id: string;
      config: { epochs: number; patience: number; model: { depth: number; inputSlices: number }; split: { validation: number }; inference: { mirror: boolean }; operatingPoint: { basis: string } };
    };
    const c = run.config;
    assert.deepEqual([c.epochs, c.model.depth], [2, 2], "the request's own fields");
    assert.deepEqual([c.patience, c.model.inputSlices, c.split.validation, c.inference.mirror, c.operatingPoint.basis], [16, 3, 0.34, true, 'lesion'], "the preset's");
    assert.equal((await call(`/api/runs/${run.id}/cancel`, { method: 'POST' })).status, 202);
    assert.equal((await call(`/api/runs/${run.id}`, { method: 'DELETE' })).status, 204);
    const study = await call('/api/studies', { method: 'POST', body: { name: 'preset study', dataset: 'demo', arms: ['static'], seeds: 1, preset: 'small-lesions', baseConfig: { epochs: 3 } } });
    assert.equal(study.status, 201, study.text);
    const [queued] = study.json.runs as { id: string }[];
    const studied = (await call(`/api/runs/${queued.id}`)).json as typeof run;
    assert.deepEqual([studied.config.epochs, studied.config.model.inputSlices, studied.config.patience], [3, 3, 16]);
    assert.equal((await call(`/api/runs/${queued.id}/cancel`, { method: 'POST' })).status, 202);
    assert.equal((await call(`/api/runs/${queued.id}`, { method: 'DELETE' })).status, 204);
    const unknown = await call('/api/studies', { method: 'POST', body: { name: 'x', dataset: 'demo', arms: ['static'], preset: 'nope' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error?.issues?.[0].field, 'preset');
    const plugins = await call('/api/plugins');
    assert.deepEqual(
      (plugins.json.presets as { name: string }[]).map((p) => p.name),
      ['small-lesions'],
    );
  });

  it('launches, tags, cancels and deletes a run', async () => {
    const created = await call('/api/runs', { method: 'POST', body: { name: 'api run', tags: ['a'], config: { dataset: 'demo', epochs: 2 } } });
    assert.equal(created.status, 201, created.text);
    const run = created.json.run as { id: string; status: string; tags: string[] };
    assert.equal(run.status, 'queued');
    assert.deepEqual(run.tags, ['a']);
    const patched = await call(`/api/runs/${run.id}`, { method: 'PATCH', body: { tags: ['b', 'c'], notes: 'baseline' } });
    assert.deepEqual([patched.json.tags, patched.json.notes], [['b', 'c'], 'baseline']);
    assert.equal((await call(`/api/runs/${run.id}`, { method: 'PATCH', body: {} })).status, 400);
    assert.equal((await call(`/api/runs/${run.id}`, { method: 'DELETE' })).status, 409, 'a queued run is not deleted');
    assert.equal((await call(`/api/runs/${run.id}/cancel`, { method: 'POST' })).status, 202);
    assert.equal((await call(`/api/runs/${run.id}`)).json.status, 'cancelled');
    const list = await call('/api/runs?status=cancelled');
    assert.deepEqual(
      (list.json.items as { id: string }[]).map((r) => r.id),
      [run.id],
    );
    assert.equal((await call(`/api/runs/${run.id}/export.zip`)).status, 409, 'nothing to export before a checkpoint');
    assert.equal((await call(`/api/runs/${run.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call(`/api/runs/${run.id}`)).status, 404);
    assert.equal((await call('/api/runs/compare?runs=a')).status, 400);
  });

  it('creates a synthetic cohort in the first ingest root as a job: the hard demo with a seed, 409 for an existing dataset, 400 naming the field', async () => {
    const bad = await call('/api/datasets/demo', { method: 'POST', body: { difficulty: 'medium' } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /difficulty/);
    assert.equal((await call('/api/datasets/demo', { method: 'POST', body: { difficulty: 'easy' } })).status, 409, 'the demo dataset exists');
    const queued = await call('/api/datasets/demo', { method: 'POST', body: { difficulty: 'hard', patients: 3, seed: 9 } });
    assert.equal(queued.status, 202);
    // The test server runs no worker: the job is run here, as the worker would.
    const db = await openDb(`file:${path.join(dir, 'db.sqlite')}`);
    try {
      const job = await claimJob(db, queued.json.jobId as string, 'test');
      const summary = await runIngestJob(db, job, { cacheDir: path.join(dir, 'data', 'cache') });
      assert.equal(summary?.series, 3);
    } finally {
      await db.$disconnect();
    }
    assert.ok(fs.existsSync(path.join(dir, 'roots', 'demo-hard-s9', 'labels', 'labels.json')), 'written inside the ingest root');
    const d = await call('/api/datasets/demo-hard-s9');
    assert.equal(d.json.patients, 3);
  });

  it('fails a synthetic-cohort job at once when its folder holds another cohort, naming the difference', async () => {
    // A folder left by an earlier request (its dataset never ingested) with 3 patients; the request asks for 4.
    ensureSyntheticCohort({ ...HARD_COHORT, patients: 3, seed: 10, out: path.join(dir, 'roots', 'demo-hard-s10') }, { hint: '' });
    const queued = await call('/api/datasets/demo', { method: 'POST', body: { difficulty: 'hard', patients: 4, seed: 10 } });
    assert.equal(queued.status, 202);
    const db = await openDb(`file:${path.join(dir, 'db.sqlite')}`);
    try {
      const job = await claimJob(db, queued.json.jobId as string, 'test');
      assert.equal(await runIngestJob(db, job, { cacheDir: path.join(dir, 'data', 'cache') }), null);
      const row = await db.job.findUnique({ where: { id: job.id } });
      // SQLite's queue has no retries; on PostgreSQL's (pg-boss) the job is not retried either (runIngestJob).
      assert.equal(row?.status, 'failed');
      assert.match(row?.error ?? '', /demo-hard-s10 already holds another synthetic cohort: patients 3 \(asked 4\); choose another folder for it/);
    } finally {
      await db.$disconnect();
    }
  });

  it('picks the preset a dataset calls for when the request names none ("auto"): small-lesions for the hard demo, none for the easy one', async () => {
    type Detail = { preset: { preset: string | null; reason: string }; classSizes: { value: string; cases: number; medianVoxels: number | null }[] };
    const hard = (await call('/api/datasets/demo-hard-s9')).json as unknown as Detail;
    const lesion = hard.classSizes.find((c) => c.value === '2');
    assert.ok(lesion && lesion.cases === 3 && lesion.medianVoxels !== null && lesion.medianVoxels <= 100, JSON.stringify(hard.classSizes));
    assert.equal(hard.preset.preset, 'small-lesions');
    assert.match(hard.preset.reason, /^class 2 "lesion" has a median of [\d.]+ voxels per case \(3 cases\): at most 100$/);
    const easy = (await call('/api/datasets/demo')).json as unknown as Detail;
    assert.equal(easy.preset.preset, null);
    assert.match(easy.preset.reason, /^no class is small: the smallest, class 2 "lesion" has a median of [\d.]+ voxels per case \(3 cases\), is over 100$/);
    const cases: [string, Record<string, unknown>, string | null, number][] = [
      ['hard, no preset named', { config: { dataset: 'demo-hard-s9', epochs: 2 } }, 'small-lesions', 3],
      ['hard, "auto"', { preset: 'auto', config: { dataset: 'demo-hard-s9', epochs: 2 } }, 'small-lesions', 3],
      ['hard, "none"', { preset: 'none', config: { dataset: 'demo-hard-s9', epochs: 2 } }, null, 1],
      ['easy, no preset named', { config: { dataset: 'demo', epochs: 2 } }, null, 1],
    ];
    for (const [name, body, preset, inputSlices] of cases) {
      const created = await call('/api/runs', { method: 'POST', body });
      assert.equal(created.status, 201, `${name}: ${created.text}`);
      const { run, preset: chosen } = created.json as unknown as { run: { id: string; config: { epochs: number; model: { inputSlices: number } } }; preset: { preset: string | null } };
      assert.deepEqual([chosen.preset, run.config.model.inputSlices, run.config.epochs], [preset, inputSlices, 2], name);
      assert.equal((await call(`/api/runs/${run.id}/cancel`, { method: 'POST' })).status, 202);
      assert.equal((await call(`/api/runs/${run.id}`, { method: 'DELETE' })).status, 204);
    }
    const study = await call('/api/studies', { method: 'POST', body: { name: 'auto study', dataset: 'demo-hard-s9', arms: ['static'], seeds: 1, baseConfig: { epochs: 3 } } });
    assert.equal(study.status, 201, study.text);
    assert.equal((study.json.preset as { preset: string }).preset, 'small-lesions');
    const [queued] = study.json.runs as { id: string }[];
    assert.deepEqual(((await call(`/api/runs/${queued.id}`)).json.config as { model: { inputSlices: number } }).model.inputSlices, 3);
    assert.equal((await call(`/api/runs/${queued.id}/cancel`, { method: 'POST' })).status, 202);
    assert.equal((await call(`/api/runs/${queued.id}`, { method: 'DELETE' })).status, 204);
  });

  it("opens a dashboard address typed without its '#', and keeps missing files and API paths 404", async () => {
    const page = await fetch(`${base}/runs/abc`, { redirect: 'manual' });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), '/#/runs/abc');
    assert.equal((await fetch(`${base}/missing.js`, { redirect: 'manual' })).status, 404);
    const api = await call('/api/nothing-here');
    assert.equal(api.status, 404);
    assert.ok(api.json.error, 'the API answers its JSON error, not a redirect');
  });
});

describe('download names', () => {
  const CASES: [string, { id: string; name: string | null }, string][] = [
    ['the run name and the id prefix', { id: '0123456789abcdef', name: 'baseline' }, 'segfusion-baseline-01234567-metrics.csv'],
    ['no name: the id prefix alone', { id: '0123456789abcdef', name: null }, 'segfusion-01234567-metrics.csv'],
    ['characters a header must not carry are replaced', { id: 'abcdef0123', name: 'a "b"/c\\d\r\nx é' }, 'segfusion-a-b-c-d-x-e-abcdef01-metrics.csv'],
  ];
  for (const [name, run, want] of CASES) it(name, () => assert.equal(downloadName(run, 'metrics.csv'), want));
});

describe('starting the server', () => {
  it('says so when the port is taken', async () => {
    const dir = tempDir('port');
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data') });
    const first = await startServer(config, { host: '127.0.0.1', port: 0, worker: false, demo: null });
    const port = Number(new URL(first.url).port);
    try {
      await assert.rejects(startServer(config, { host: '127.0.0.1', port, worker: false, demo: null }), (e: unknown) => e instanceof ServeError && new RegExp(`port ${port} on 127.0.0.1 is already in use`).test(e.message));
    } finally {
      await first.close();
    }
  });
});

describe('patient identifiers and server paths', () => {
  it('shows stable pseudonyms for PatientID and no server path in any answer', async () => {
    const dir = tempDir('phi');
    const env = { DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data'), SEGFUSION_INGEST_ROOTS: path.join(dir, 'roots'), SEGFUSION_PSEUDONYMIZE: 'on' };
    fs.mkdirSync(path.join(dir, 'roots'));
    const answers = async () => {
      const server = await startServer(loadConfig(env), { host: '127.0.0.1', port: 0, worker: false, demo: { dir: path.join(dir, 'roots', 'demo'), patients: 3 } });
      try {
        const get = async (p: string, init?: RequestInit) => (await fetch(`${server.url}${p}`, init)).text();
        const dataset = await get('/api/datasets/demo');
        const launched = JSON.parse(await get('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config: { dataset: 'demo' } }) })) as { run: { id: string } };
        const ingest = await get('/api/datasets/ingest', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataset: 'again', path: 'demo/dicom' }) });
        return { dataset, run: await get(`/api/runs/${launched.run.id}`), jobs: await get('/api/jobs'), ingest };
      } finally {
        await server.close();
      }
    };
    const first = await answers();
    // The IDs are replaced inside folder and file names too (the demo names its folders by PatientID).
    for (const [name, text] of Object.entries(first)) {
      assert.doesNotMatch(text, /SYN00\d/, `${name} shows a PatientID`);
      assert.ok(!text.includes(dir), `${name} shows a server path: ${text.slice(0, 300)}`);
    }
    const pseudonyms = (text: string) => [...new Set(text.match(/P-[0-9a-f]{10}/g))].sort();
    assert.equal(pseudonyms(first.dataset).length, 3);
    for (const p of pseudonyms(first.run)) assert.ok(pseudonyms(first.dataset).includes(p), `${p} of the run is a pseudonym of the dataset`);
    assert.match(first.jobs, /"demo\/dicom"/, 'a path inside an ingest root is shown relative to it');
    assert.match(first.dataset, /"folder":"demo\/dicom\/P-[0-9a-f]{10}\/CT_abdomen"/);
    // Stable across restarts (the key lives in the data folder).
    assert.deepEqual(pseudonyms((await answers()).dataset), pseudonyms(first.dataset));
  });
});

describe('readiness', () => {
  it('answers 503 naming the check when the database file is deleted, while liveness stays ok', async () => {
    const dir = tempDir('ready');
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data') });
    const server = await startServer(config, { host: '127.0.0.1', port: 0, worker: false, demo: null });
    try {
      assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
      for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('db.sqlite'))) fs.rmSync(path.join(dir, f));
      const r = await fetch(`${server.url}/api/health`);
      assert.equal(r.status, 503);
      const body = (await r.json()) as { status: string; checks: { name: string; ok: boolean; detail: string }[] };
      assert.equal(body.status, 'unavailable');
      assert.deepEqual(body.checks[0], { name: 'database', ok: false, detail: 'not reachable: the database file is missing' });
      assert.doesNotMatch(JSON.stringify(body), new RegExp(dir));
      assert.equal((await fetch(`${server.url}/api/health/live`)).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('serving beyond 127.0.0.1', () => {
  it('refuses to start without SEGFUSION_TOKEN', async () => {
    const dir = tempDir('token');
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data') });
    await assert.rejects(startServer(config, { host: '0.0.0.0', port: 0, worker: false, demo: null }), (e: unknown) => e instanceof ServeError && /set SEGFUSION_TOKEN/.test(e.message));
  });

  it('then checks the token on every API call (header or query), not on health', async () => {
    const dir = tempDir('token');
    const token = 'a-long-enough-test-token';
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data'), SEGFUSION_TOKEN: token });
    const server = await startServer(config, { host: '0.0.0.0', port: 0, worker: false, demo: null });
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    try {
      assert.equal((await fetch(`${url}/api/health`)).status, 200);
      const denied = await fetch(`${url}/api/runs`);
      assert.equal(denied.status, 401);
      assert.equal(((await denied.json()) as Json).error?.code, 'unauthorized');
      assert.equal((await fetch(`${url}/api/runs`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status, 401);
      assert.equal((await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await fetch(`${url}/api/runs?token=${token}`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
