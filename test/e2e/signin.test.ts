import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/serve.js';
import { cli, isolatedEnv, ok, ROOT, tempDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');

describe('signing in to a server with accounts (chromium + playwright-core)', () => {
  let url: string;
  let close: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  const tokens: Record<string, string> = {};
  const unexpected: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const ready = (what: string) => page.waitForFunction((w) => document.getElementById('app')?.dataset.ready === w, what);

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const dir = tempDir('signin');
    const env = isolatedEnv(dir);
    for (const [name, role] of [
      ['ann', 'researcher'],
      ['ada', 'admin'],
    ])
      tokens[name] = ok(cli(['user', 'add', name, '--role', role], env))
        .trim()
        .split('\n')
        .pop() as string;
    const server = await startServer(loadConfig({ DATABASE_URL: env.DATABASE_URL, SEGFUSION_DATA_DIR: env.SEGFUSION_DATA_DIR }), { host: '127.0.0.1', port: 0, worker: false, demo: { dir: path.join(dir, 'demo'), patients: 3 } });
    url = server.url;
    close = server.close;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    // Before signing in, and for a wrong token, the API answers 401 on purpose.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) unexpected.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await close?.();
  });

  it('shows the sign-in page, names a wrong token, and signs a researcher in with a session cookie the page cannot read', async () => {
    await page.goto(`${url}/#/runs`);
    await ready('signin');
    await page.fill('#f-token', 'sf_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.click('#signin button[type=submit]');
    await page.locator('#signin-error').filter({ hasText: 'wrong or revoked token' }).waitFor();
    await shot('signin-wrong-token');
    await page.fill('#f-token', tokens.ann);
    await page.click('#signin button[type=submit]');
    await ready('#/runs');
    assert.equal(await page.textContent('#signed-in-as'), 'ann (researcher)');
    assert.equal(await page.isVisible('[data-nav="audit"]'), false, 'the audit log is for admins');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly');
    const cookies = await page.context().cookies();
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
      [['segfusion_session', true, 'Strict']],
    );
    await shot('signin-researcher');
  });

  it('launches a run as the signed-in researcher (the form sends the CSRF token) and shows who launched it', async () => {
    await page.goto(`${url}/#/new`);
    await ready('#/new');
    await page.fill('#f-name', 'ann from the browser');
    await page.fill('#f-epochs', '1');
    await page.fill('#f-batchesPerEpoch', '2');
    await page.fill('#f-patchSize', '32');
    await page.click('#launch button[type=submit]');
    await page.waitForURL(/#\/runs\/[0-9a-f-]+$/);
    await page.getByText('launched by ann').first().waitFor();
    await shot('signin-run-owner');
  });

  it('signs out, then signs an admin in, who reads the audit log', async () => {
    await page.goto(`${url}/#/runs`);
    await ready('#/runs');
    await page.click('#sign-out');
    await ready('signin');
    await page.fill('#f-token', tokens.ada);
    await page.click('#signin button[type=submit]');
    await ready('#/runs');
    assert.equal(await page.textContent('#signed-in-as'), 'ada (admin)');
    await page.click('[data-nav="audit"]');
    await ready('#/audit');
    const rows = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll('td')]
          .slice(1, 3)
          .map((td) => td.textContent)
          .join(' '),
      ),
    );
    for (const e of ['ann run.create', 'ann session.create', 'ada session.create']) assert.ok(rows.includes(e), `${e} in ${rows.join(', ')}`);
    assert.equal(rows.filter((r) => /^cli:\S+ user\.add$/.test(r)).length, 2);
    await shot('signin-audit');
    assert.deepEqual(unexpected, []);
  });
});
