import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { STRATEGIES } from '../../src/fusion/registry.js';
import { LOSSES } from '../../src/losses/registry.js';
import { errorHandler } from '../../src/server/errorHandler.js';
import { docsRouter, slug } from '../../src/server/routes/docsRouter.js';
import { PRESETS } from '../../src/train/presets.js';
import { ROOT } from '../helpers.js';

describe('GET /docs/NAME: the documentation, rendered', () => {
  let base: string;
  let server: ReturnType<express.Express['listen']>;
  before(async () => {
    const app = express();
    app.use('/docs', docsRouter(path.join(ROOT, 'docs')));
    app.use(errorHandler);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('anchors headings as GitHub does', () => {
    for (const [html, want] of [
      ['Loss terms (<code>src/losses</code>)', 'loss-terms-srclosses'],
      ['Batch-adaptive weighting', 'batch-adaptive-weighting'],
      ['Targets beyond the weights: selection and operating point', 'targets-beyond-the-weights-selection-and-operating-point'],
      ['Study of record: static against batchAdaptive', 'study-of-record-static-against-batchadaptive'],
    ] as const)
      assert.equal(slug(html), want);
  });

  it("every loss's, strategy's and preset's docs link lands on a heading of a served document", async () => {
    const links = [...Object.values(LOSSES), ...Object.values(STRATEGIES), ...Object.values(PRESETS)].map((p) => p.docs);
    for (const link of new Set(links)) {
      const [name, anchor] = link.split('#');
      const r = await fetch(`${base}/docs/${name}`);
      assert.equal(r.status, 200, link);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.ok((await r.text()).includes(` id="${anchor}"`), `${link}: no such heading`);
    }
  });

  it('serves only the documents there are, by name; anything else is a 404 naming them', async () => {
    for (const bad of ['nope', '..%2Fpackage.json', '..%2F..%2Fetc%2Fpasswd', 'README', 'user-guide.md']) {
      const r = await fetch(`${base}/docs/${bad}`);
      assert.equal(r.status, 404, bad);
      const body = (await r.json()) as { error: { message: string } };
      assert.match(body.error.message, /^no document ".*" \(documents: .*loss-fusion.*user-guide/);
    }
    const guide = await (await fetch(`${base}/docs/user-guide`)).text();
    assert.match(guide, /<table>/);
    assert.match(guide, /<a href="\/docs\/loss-fusion">loss-fusion<\/a>/);
  });
});
