import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { selectBackend } from '../../src/backend/selectBackend.js';
import { loadConfig } from '../../src/config.js';
import { workerIdOf } from '../../src/db/workers.js';
import { truthColor } from '../../src/figures/overlay.js';
import { loadModel } from '../../src/model/modelIo.js';
import { startServer } from '../../src/server/serve.js';
import { ROOT, tempDir } from '../helpers.js';

/** Debian's chromium, installed by .ci/run. */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');

describe('dashboard in a real browser (chromium + playwright-core)', () => {
  let dir: string;
  let url: string;
  const consoleErrors: string[] = [];
  let close: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  const runIds: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('e2e');
    const config = loadConfig({ DATABASE_URL: `file:${path.join(dir, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(dir, 'data'), SEGFUSION_INGEST_ROOTS: dir });
    const server = await startServer(config, { host: '127.0.0.1', port: 0, worker: true, demo: { dir: path.join(dir, 'demo'), patients: 4 } });
    url = server.url;
    close = server.close;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    // Console errors of the whole flow; the 4xx answers the form-validation steps provoke on purpose are the only expected ones.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) consoleErrors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await close?.();
  });

  async function launch(name: string, strategy: string, targetBasis: 'voxel' | 'lesion' | 'lesion-conformal' = 'voxel'): Promise<string> {
    await page.goto(`${url}/#/new`);
    await page.waitForSelector('#launch');
    await page.selectOption('#f-dataset', 'demo');
    await page.fill('#f-name', name);
    await page.selectOption('#f-size', { index: 0 });
    await page.selectOption('#f-strategy', strategy);
    // The registry's help for the chosen strategy; the sensitivity target is the run's, for any strategy.
    assert.match((await page.textContent('#f-strategy-help')) ?? '', /\w{4,}/);
    assert.equal(await page.isVisible('#f-targetValue'), true);
    await page.selectOption('#f-target-basis', targetBasis);
    await page.fill('#f-epochs', '3');
    await page.fill('#f-batchesPerEpoch', '8');
    await page.fill('#f-batchSize', '4');
    await page.fill('#f-patchSize', '32');
    // With a completed run on the server, the form estimates the run time from it.
    assert.match((await page.textContent('#f-estimate')) ?? '', runIds.length ? /estimated run time about \d+m\d+s, from run e2e adaptive/ : /no estimate of the run time yet/);
    await page.click('#launch button[type=submit]');
    await page.waitForURL(/#\/runs\/[0-9a-f-]+$/);
    const id = page.url().split('/').pop() as string;
    runIds.push(id);
    return id;
  }

  it('shows the demo dataset with its series and classes', async () => {
    await page.goto(`${url}/#/datasets`);
    await page.click('#datasets a');
    await page.waitForSelector('#series tbody tr');
    assert.equal(await page.locator('#series tbody tr').count(), 4);
    assert.deepEqual(await page.locator('#classes tbody td:nth-child(2)').allTextContents(), ['background', 'organ', 'lesion']);
    // Each foreground class's cases and median voxels per case, and what "auto" makes of them.
    assert.deepEqual((await page.locator('#classes tbody td:nth-child(4)').allTextContents()).map(Number), [0, 4, 4]);
    assert.match((await page.textContent('#auto-preset')) ?? '', /^Preset "auto" for a run on this dataset: none, as no class is small: the smallest, class 2 "lesion" has a median of [\d.]+ voxels per case \(4 cases\), is over 100\.$/);
    await shot('dataset');
  });

  it('ingests a server-side folder from the form, with progress, into a new dataset', async () => {
    await page.goto(`${url}/#/datasets`);
    await page.waitForSelector('#ingest');
    await page.fill('#ingest-dataset', 'again');
    await page.fill('#ingest-path', path.join(dir, 'demo', 'dicom'));
    await page.fill('#ingest-labels', path.join(dir, 'demo', 'labels'));
    await page.click('#ingest button[type=submit]');
    await page.waitForSelector('#datasets a:has-text("again")', { timeout: 60_000 });
    await page.fill('#ingest-dataset', 'outside');
    await page.fill('#ingest-path', '/etc');
    await page.click('#ingest button[type=submit]');
    await page.locator('#ingest-status').filter({ hasText: 'outside the folders the server may ingest from' }).waitFor();
    await shot('datasets');
  });

  it("validates the launch form: the wrong field gets the API's reason", async () => {
    await page.goto(`${url}/#/new`);
    await page.waitForSelector('#launch');
    await page.fill('#f-patchSize', '30');
    await page.click('#launch button[type=submit]');
    const error = page.locator('[data-error-for="config.sampling.patchSize"]');
    await error.filter({ hasText: 'divisible' }).waitFor();
    assert.match((await error.textContent()) ?? '', /patchSize 30 must be divisible by 2\^depth = 8/);
    assert.ok(await page.locator('#f-patchSize.invalid').count());
    assert.match((await error.textContent()) ?? '', /try 24 or 32$/);
    await shot('launch-form-error');
    // Only the chosen strategy's options and the ticked losses' are offered; an option's error opens its box.
    await page.fill('#f-patchSize', '64');
    await page.selectOption('#f-strategy', 'gradnorm');
    await page.uncheck('#f-losses input[value=focal]');
    const shown = () => page.$$eval('details.options', (ds) => (ds as HTMLElement[]).filter((d) => !d.hidden).map((d) => d.dataset.optionsFor));
    assert.deepEqual(await shown(), ['loss:dice', 'loss:sensitivitySpecificity', 'strategy:gradnorm']);
    await page.click('details[data-options-for="strategy:gradnorm"] summary');
    await page.fill('#f-strategy-gradnorm-alpha', '-1');
    await page.click('details[data-options-for="strategy:gradnorm"] summary');
    await page.click('#launch button[type=submit]');
    const alpha = page.locator('[data-error-for="config.fusion.options.alpha"]');
    await alpha.filter({ hasText: 'try 0' }).waitFor();
    assert.equal(await alpha.textContent(), 'config.fusion.options.alpha: must be at least 0 (got -1): try 0');
    assert.ok(await page.locator('details[data-options-for="strategy:gradnorm"][open] #f-strategy-gradnorm-alpha.invalid').count());
    await shot('launch-form-plugin-options');
    // Worker tags the run requires are checked like the config.
    await page.fill('#f-requires', 'gpu, Big GPU');
    await page.click('#launch button[type=submit]');
    await page.locator('[data-error-for="requires"]').filter({ hasText: 'requires.1' }).waitFor();
    assert.match((await page.textContent('[data-error-for="requires"]')) ?? '', /requires\.1: lower-case letters, digits or '-'/);
    await page.fill('#f-requires', '');
    await page.selectOption('#f-strategy', 'batchAdaptive');
    assert.deepEqual(await shown(), ['loss:dice', 'loss:sensitivitySpecificity', 'strategy:batchAdaptive']);
    // Each strategy's help links to the section of docs/loss-fusion.md that explains it, served rendered.
    const docs = (await page.getAttribute('#f-strategy-docs', 'href')) ?? '';
    assert.equal(docs, 'docs/loss-fusion#batch-adaptive-weighting', 'relative to the dashboard root, as the API redactor leaves it');
    const rendered = await page.request.get(`${url}/${docs}`);
    assert.ok(rendered.ok() && (await rendered.text()).includes('id="batch-adaptive-weighting"'));
    // A preset fills the fields it sets, names the ones the form has no field for, and goes with the request.
    const values = () => Promise.all(['#f-epochs', '#f-validation', '#f-test', '#f-target-basis'].map((f) => page.inputValue(f)));
    const before = await values();
    assert.equal(await page.inputValue('#f-preset'), 'auto', 'the preset the dataset calls for, by default');
    assert.match((await page.textContent('#f-preset-auto')) ?? '', /^auto: none, as no class is small/);
    await page.selectOption('#f-preset', 'small-lesions');
    assert.deepEqual(await values(), ['48', '0.34', '0.25', 'lesion-conformal']);
    assert.match((await page.textContent('#f-preset-also')) ?? '', /model\.inputSlices 3 .*inference\.mirror true .*patience 16 .*validationInterval 2/);
    await shot('launch-form-preset');
    await page.fill('#f-patchSize', '30');
    const [request] = await Promise.all([page.waitForRequest((r) => r.url().endsWith('/api/runs') && r.method() === 'POST'), page.click('#launch button[type=submit]')]);
    assert.equal((request.postDataJSON() as { preset?: string }).preset, 'small-lesions');
    await page.locator('[data-error-for="config.sampling.patchSize"]').filter({ hasText: 'divisible' }).waitFor();
    await page.fill('#f-patchSize', '64');
    await page.selectOption('#f-preset', 'none');
    assert.deepEqual(await values(), before, 'no preset: the defaults again');
    assert.equal(await page.textContent('#f-preset-help'), '');
  });

  it('launches a run from the form and its curves grow live until it completes', async () => {
    await launch('e2e adaptive', 'batchAdaptive');
    const loss = page.locator('[data-chart^="Loss per batch"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-chart^="Loss per batch"]')?.getAttribute('data-points')) > 0, undefined, { timeout: 120_000 });
    const first = Number(await loss.getAttribute('data-points'));
    await page.waitForFunction((n) => Number(document.querySelector('[data-chart^="Loss per batch"]')?.getAttribute('data-points')) > n, first, { timeout: 120_000 });
    await page
      .locator('#live')
      .filter({ hasText: /epoch \d\/3/ })
      .waitFor();
    await shot('run-live');
    await page.locator('[data-status="completed"]').waitFor({ timeout: 180_000 });
    await page.waitForSelector('[data-table="classes-test"] tbody tr');
    assert.deepEqual(await page.locator('[data-table="classes-test"] tbody td:first-child').allTextContents(), ['organ', 'lesion']);
    assert.ok(Number(await page.locator('[data-chart^="Validation Dice"]').getAttribute('data-points')) === 3);
    // The lesion's sensitivity target: the validation trade-off it was calibrated on, one point per candidate threshold.
    assert.equal(Number(await page.locator('[data-chart^="lesion on validation: sensitivity, precision, Dice and lesions found by threshold"]').getAttribute('data-points')), 108);
    // And the test split's FROC: lesions found at each false-positive rate with its CI, and the curve from (0, 0).
    assert.match((await page.textContent('[data-table="froc-2"]')) ?? '', /^lesion: false positives per case0\.1250\.250\.51248CPM \(mean\)lesions found \[95 % CI\] \(\d+ lesions, \d+ cases\)(\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){8}$/);
    assert.ok(Number(await page.locator('[data-chart^="lesion on test: lesions found against false-positive components per case"]').getAttribute('data-points')) >= 2);
    await shot('run-completed');
  });

  it("lists the job workers (the dashboard's own slot) and shows which one ran the run", async () => {
    const worker = workerIdOf(os.hostname(), process.pid, 0);
    assert.ok(((await page.textContent('body')) ?? '').includes(`worker ${worker}`), `the run page names worker ${worker}`);
    await page.click('[data-nav="workers"]');
    await page.waitForSelector('#workers tbody tr');
    const row = page.locator('#workers tbody tr', { hasText: worker });
    assert.equal(await row.getAttribute('data-status'), 'idle');
    assert.match((await row.textContent()) ?? '', /\d+ s ago/);
    await shot('workers');
    // Back to the run, where the next steps start.
    await page.goto(`${url}/#/runs/${runIds[0]}`);
    await page.waitForSelector('[data-table="classes-test"] tbody tr');
  });

  it('sorts the per-case table and opens the case viewer, moving through slices', async () => {
    // Each case row has a server-rendered thumbnail (sharp PNG) that loads once scrolled to (they are lazy).
    await page.locator('[data-table="cases-test"]').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('[data-table="cases-test"] img.thumb')];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    await page.click('[data-table="cases-test"] th:has-text("dice")');
    await page.click('[data-table="cases-test"] tbody a');
    await page.waitForSelector('#slice[data-slice]');
    const start = Number(await page.getAttribute('#slice', 'data-slice'));
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction((s) => Number(document.querySelector('#slice')?.getAttribute('data-slice')) === s + 1, start);
    await page.locator('#slice-slider').fill('3');
    await page.waitForFunction(() => document.querySelector('#slice')?.getAttribute('data-slice') === '3');
    await page.selectOption('#preset', 'CT bone');
    assert.equal(await page.inputValue('#ww'), '1800');
    assert.ok((await page.locator('#case-metrics tbody tr').count()) >= 2);
    // The canvas shows the image: not a uniform colour.
    const distinct = await page.evaluate(() => {
      const c = document.querySelector('#slice') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      return new Set(Array.from({ length: d.length / 4 }, (_, i) => d[i * 4])).size;
    });
    assert.ok(distinct > 10, `${distinct} grey levels`);
    await page.locator('#slice-slider').fill('16');
    await page.waitForFunction(() => document.querySelector('#slice')?.getAttribute('data-slice') === '16');
    await shot('case-viewer');
  });

  it('viewer: three overlay modes with a legend of what is drawn, keys, navigation by class, state in the URL', async () => {
    const slice = async () => Number(await page.getAttribute('#slice', 'data-slice'));
    const waitSlice = (k: number) => page.waitForFunction((s) => Number(document.querySelector('#slice')?.getAttribute('data-slice')) === s, k);
    assert.match(page.url(), /\?k=16&mode=filled$/);
    const legend = async () => page.locator('#legend').textContent();
    assert.match((await legend()) ?? '', /organ \(truth\).*organ \(prediction\).*lesion \(truth\).*lesion \(prediction\)/);
    for (const mode of ['outline', 'agreement', 'filled']) {
      await page.selectOption('#overlay-mode', mode);
      await page.waitForFunction((m) => document.querySelector('#slice')?.getAttribute('data-mode') === m, mode);
      if (mode === 'agreement') {
        assert.match((await legend()) ?? '', /true positive \(organ, lesion\).*false positive.*false negative/);
        assert.ok(await page.locator('#show-gt').isDisabled(), 'agreement compares both layers');
      }
      await shot(`case-viewer-${mode}`);
    }
    // A class switched off leaves the legend.
    await page.uncheck('#show-class-1');
    await page.waitForFunction(() => !/organ/.test(document.querySelector('#legend')?.textContent ?? ''));
    await page.check('#show-class-1');
    // Keys in a form control stay there: ArrowUp in W changes W, not the slice.
    const before = await slice();
    await page.focus('#ww');
    const w = Number(await page.inputValue('#ww'));
    await page.keyboard.press('ArrowUp');
    assert.equal(Number(await page.inputValue('#ww')), w + 1);
    assert.equal(await slice(), before);
    await page.focus('#slice');
    await page.locator('#legend').click();
    await page.keyboard.press('Home');
    await waitSlice(0);
    await page.keyboard.press('PageDown');
    await waitSlice(10);
    await page.keyboard.press('End');
    await waitSlice(Number(await page.getAttribute('#slice-slider', 'max')));
    // Next slice holding a lesion, from the top.
    await page.keyboard.press('Home');
    await waitSlice(0);
    await page.selectOption('#nav-class', { label: 'lesion' });
    await page.click('#next-class');
    await page.waitForFunction(() => Number(document.querySelector('#slice')?.getAttribute('data-slice')) > 0);
    const lesionSlice = await slice();
    // Missed lesions and false-positive components (lesion-wise rule): ◀ ▶ go to their centre slices.
    const idx = (await (await page.request.get(`${page.url().replace('/#/runs/', '/api/runs/').replace(/\?.*$/, '')}/index`)).json()) as {
      components: Record<string, { missed: { centroid: number[] }[]; falsePositives: { centroid: number[] }[] }>;
    };
    const kinds = Object.entries(idx.components).flatMap(([c, v]) => [...(v.missed.length ? [[`missed:${c}`, v.missed] as const] : []), ...(v.falsePositives.length ? [[`fp:${c}`, v.falsePositives] as const] : [])]);
    assert.ok(kinds.length > 0, 'this barely trained model misses or over-segments something');
    const [kind, located] = kinds[0];
    const targets = [...new Set(located.map((l) => l.centroid[2]))].sort((a, b) => a - b);
    await page.selectOption('#nav-class', kind);
    await page.locator('#legend').click();
    await page.keyboard.press('End');
    await page.click('#prev-class');
    const last = Number(await page.getAttribute('#slice-slider', 'max'));
    const expected = targets.filter((k) => k < last).pop();
    if (expected !== undefined) await waitSlice(expected);
    await page.selectOption('#nav-class', { label: 'lesion' });
    await page.locator('#legend').click();
    await page.keyboard.press('Home');
    await waitSlice(0);
    await page.click('#next-class');
    await waitSlice(lesionSlice);
    assert.match(page.url(), new RegExp(`\\?k=${lesionSlice}&mode=filled$`));
    // "full range" writes the window it uses into the fields.
    await page.selectOption('#preset', 'full range');
    await page.waitForFunction(() => (document.querySelector('#ww') as HTMLInputElement).value !== '1801');
    assert.ok(Number(await page.inputValue('#ww')) > 1000, 'W is the slice range in HU');
    // The cursor readout names value and labels.
    await page.hover('#slice');
    assert.match((await page.locator('#cursor').textContent()) ?? '', /x \d+, y \d+: -?[\d.]+ HU; truth \w+; prediction \w+/);
    // Reload: the slice and mode come back from the URL.
    await page.selectOption('#overlay-mode', 'agreement');
    await page.reload();
    await waitSlice(lesionSlice);
    assert.equal(await page.inputValue('#overlay-mode'), 'agreement');
    // Coronal and sagittal planes at the true aspect ratio (128 x 32 voxels of 1.32 x 2.5 mm: about 1:0.47).
    await page.selectOption('#overlay-mode', 'filled');
    await page.selectOption('#plane', 'coronal');
    await page.waitForFunction(() => document.querySelector('#slice')?.getAttribute('data-plane') === 'coronal');
    const box = await page.locator('#slice').boundingBox();
    const dims = await page.evaluate(() => {
      const c = document.querySelector('#slice') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    const caseInfo = (await (await page.request.get(page.url().replace('/#/runs/', '/api/runs/').replace(/\?.*$/, ''))).json()) as { spacing: number[] };
    assert.ok(box && Math.abs(box.height / box.width - (dims[1] * caseInfo.spacing[2]) / (dims[0] * caseInfo.spacing[0])) < 0.02, `aspect ${box?.height}/${box?.width}`);
    assert.match(page.url(), /&plane=coronal$/);
    await shot('case-viewer-coronal');
    await page.selectOption('#plane', 'sagittal');
    await page.waitForFunction(() => document.querySelector('#slice')?.getAttribute('data-plane') === 'sagittal');
    // Zoom doubles (and more) the displayed size; a measurement of two clicks reads in mm.
    const before2 = (await page.locator('#slice').boundingBox())?.width ?? 0;
    await page.click('#zoom-in');
    await page.waitForFunction((w) => (document.querySelector('#slice') as HTMLElement).getBoundingClientRect().width > w * 1.4, before2);
    await page.click('#zoom-out');
    await page.check('#measure');
    const b = (await page.locator('#slice').boundingBox())!;
    await page.mouse.click(b.x + 5, b.y + b.height / 2);
    await page.mouse.click(b.x + b.width - 5, b.y + b.height / 2);
    const distance = Number(((await page.locator('#measure-result').textContent()) ?? '').match(/distance ([\d.]+) mm/)?.[1]);
    // Across the sagittal image: rows of 128 voxels of the y spacing, less the 5 px margins.
    assert.ok(distance > 0.8 * 128 * caseInfo.spacing[1] && distance < 128 * caseInfo.spacing[1], `${distance} mm`);
    await shot('case-viewer-sagittal-measure');
    await page.uncheck('#measure');
    // Dragging on the image sets window/level.
    const w0 = Number(await page.inputValue('#ww'));
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2 + 40, b.y + b.height / 2 + 10, { steps: 4 });
    await page.mouse.up();
    assert.equal(Number(await page.inputValue('#ww')), w0 + 80);
    assert.equal(await page.inputValue('#preset'), 'custom');
    await page.selectOption('#plane', 'axial');
    await page.waitForFunction(() => document.querySelector('#slice')?.getAttribute('data-plane') === 'axial');
    // The server's PNG of the slice (sharp) draws the stored truth voxels exactly: filled at opacity 1.
    const caseUrl = page.url().replace('/#/runs/', '/api/runs/').replace(/\?.*$/, '');
    const index = (await (await page.request.get(`${caseUrl}/index`)).json()) as { truth: Record<string, number[]> };
    const truthSlice = index.truth['2'][0];
    const json = (await (await page.request.get(`${caseUrl}/slices/${truthSlice}`)).json()) as { width: number; height: number; label: string };
    const truth = Buffer.from(json.label, 'base64');
    const png = await page.request.get(`${caseUrl}/slices/${truthSlice}.png?prediction=0&opacity=1&scale=1`);
    assert.equal(png.headers()['content-type'], 'image/png');
    const { data, info } = await sharp(await png.body())
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [json.width, json.height]);
    let wrong = 0;
    for (let p = 0; p < truth.length; p++) {
      const px = String([data[p * info.channels], data[p * info.channels + 1], data[p * info.channels + 2]]);
      const grey = data[p * info.channels] === data[p * info.channels + 1] && data[p * info.channels + 1] === data[p * info.channels + 2];
      if (truth[p] ? px !== String(truthColor(truth[p])) : !grey) wrong++;
    }
    assert.ok(truth.some((v) => v === 2));
    assert.equal(wrong, 0);
    await fs.promises.writeFile(path.join(SHOTS, 'slice-render.png'), await png.body());

    // Phone (390 px wide): nothing overflows the width, the navigation keeps one line, the image fits.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [hash, name] of [
        [new URL(page.url()).hash, 'phone-viewer'],
        ['#/runs', 'phone-runs'],
        ['#/datasets', 'phone-datasets'],
      ]) {
        await page.goto(`${url}/${hash}`);
        await page.reload();
        await page.waitForFunction((h) => document.getElementById('app')?.dataset.ready === h, hash);
        if (name === 'phone-viewer') await page.waitForSelector('#slice[data-slice]');
        const layout = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          nav: (document.querySelector('header nav') as HTMLElement).getBoundingClientRect().height,
          canvas: document.querySelector('#slice')?.getBoundingClientRect().width ?? 0,
        }));
        assert.ok(layout.scroll <= 390, `${name}: page is ${layout.scroll} px wide`);
        assert.ok(layout.nav < 40, `${name}: navigation wraps (${layout.nav} px high)`);
        assert.ok(layout.canvas <= 390, `${name}: image ${layout.canvas} px wide`);
        await shot(name);
        if (name === 'phone-viewer') await touchGestures();
      }
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }

    /** Chromium's own touch input (CDP): a swipe up 60 px pages 5 slices on, a pinch from 40 to 120 px zooms x3. */
    async function touchGestures() {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
      const box = await page.locator('#slice').boundingBox();
      assert.ok(box);
      const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
      const state = () => page.evaluate(() => ({ slice: Number((document.querySelector('#slice') as HTMLElement).dataset.slice), zoom: Number((document.querySelector('#slice') as HTMLElement).dataset.zoom ?? 1) }));
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', points: [number, number][]) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([px, py], id) => ({ x: px, y: py, id })) });
      const before = await state();
      await touch('touchStart', [[x, y + 30]]);
      for (const dy of [10, -10, -30]) await touch('touchMove', [[x, y + dy]]);
      await touch('touchEnd', []);
      await page.waitForFunction((k) => Number((document.querySelector('#slice') as HTMLElement).dataset.slice) === k, before.slice + 5);
      await touch('touchStart', [
        [x - 20, y],
        [x + 20, y],
      ]);
      for (const half of [30, 45, 60])
        await touch('touchMove', [
          [x - half, y],
          [x + half, y],
        ]);
      await touch('touchEnd', []);
      const after = await state();
      assert.equal(after.slice, before.slice + 5, 'a pinch does not page');
      assert.equal(after.zoom, before.zoom * 3);
      await shot('phone-viewer-pinched');
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
      await cdp.detach();
    }
  });

  it('compares two runs side by side', async () => {
    // Lesion-wise and conformal: the demo's one validation patient holds too few lesions for that guarantee,
    // which the run page says (the caution) and shows (not met).
    await launch('e2e static', 'static', 'lesion-conformal');
    await page.locator('[data-status="completed"]').waitFor({ timeout: 180_000 });
    assert.match((await page.locator('[data-caution="2"]').textContent()) ?? '', /^Caution, lesion: the validation split holds only \d lesion\(s\), too few for a conformal lesion-wise target of 0\.9, which needs \d+ found/);
    assert.match((await page.textContent('[data-table="operating-point"] tbody')) ?? '', /0\.900 \(lesions found, conformal\).*no: cannot be met/);
    await page.goto(`${url}/#/runs`);
    await page.waitForSelector('#runs');
    for (const id of runIds) await page.check(`input[data-run="${id}"]`);
    await page.click('#compare');
    await page.waitForSelector('#compare-metrics tbody tr');
    assert.equal(await page.locator('#compare-metrics thead th').count(), 4);
    assert.ok((await page.locator('#compare-metrics td.best').count()) > 0);
    // Only the settings that differ: the strategy, not the dataset.
    const settings = await page.locator('#compare-settings tbody td:first-child').allTextContents();
    assert.ok(settings.includes('fusion.strategy') && !settings.includes('dataset'), settings.join(', '));
    // Paired per-case scatter (same split: every test case pairs) and parallel coordinates (no numeric setting differs here).
    const pairs = Number(await page.getAttribute('#scatter svg', 'data-points'));
    assert.ok(pairs >= 1, `${pairs} paired cases`);
    assert.match((await page.textContent('#parallel')) ?? '', /No numeric setting differs/);
    await shot('compare');
    await page.goto(`${url}/#/runs`);
    await page.waitForSelector('#runs tbody tr');
    // MLflow-like table: a filter, an added metric column, a sort; all kept after Back.
    await page.selectOption('#filter-strategy', 'static');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
    await page.selectOption('#add-column', { label: 'dice lesion' });
    await page.selectOption('#add-column', 'config:sampling.patchSize');
    await page.click('#runs th:has-text("dice lesion")');
    assert.match((await page.locator('#runs tbody td.num').allTextContents()).join(' '), /\d\.\d{3}/);
    await page.selectOption('#filter-strategy', '');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2);
    await page.fill('#runs-search', 'e2e static');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
    await page.click('#runs tbody a');
    await page.waitForSelector('[data-status]');
    await page.goBack();
    await page.waitForSelector('#runs tbody tr');
    assert.equal(await page.inputValue('#runs-search'), 'e2e static');
    assert.deepEqual(await page.locator('#runs th').allTextContents(), ['', 'run', 'dataset', 'status', 'strategy', 'owner', 'worker', 'epochs', 'best val Dice', 'duration', 'dice lesion ✕', 'sampling.patchSize ✕', 'tags', 'created']);
    assert.ok(await page.locator('#runs th.sorted-asc:has-text("dice lesion")').count());
    await page.fill('#runs-search', '');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2);
    await shot('runs');
  });

  it('downloads the exported model and the metrics CSV, and the model loads', async () => {
    await page.goto(`${url}/#/runs/${runIds[0]}`);
    await page.waitForSelector('[data-action="export"]');
    const [zip] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"] button')]);
    assert.match(zip.suggestedFilename(), new RegExp(`^segfusion-.*${runIds[0].slice(0, 8)}-model\\.zip$`), 'named after the run');
    const files = unzipSync(new Uint8Array(fs.readFileSync(await zip.path())));
    const names = Object.keys(files).sort();
    assert.deepEqual(
      names.filter((n) => !n.startsWith('figures/')),
      ['MODEL_CARD.md', 'group1-shard1of1.bin', 'model.json', 'segfusion.json'],
    );
    assert.ok(names.includes('figures/validation-dice.svg') && names.some((n) => /^figures\/worst-case-\d+\.png$/.test(n)), names.join());
    const out = path.join(dir, 'downloaded-model');
    fs.mkdirSync(path.join(out, 'figures'), { recursive: true });
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(out, name), bytes);
    await selectBackend('cpu');
    const model = await loadModel(out);
    const y = model.predict(tf.zeros([1, 32, 32, 1])) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 32, 32, 3]);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="csv"] button')]);
    const text = fs.readFileSync(await csv.path(), 'utf8');
    assert.match(csv.suggestedFilename(), /-metrics\.csv$/);
    assert.match(text.split('\n')[0], /^runId,runName,split,patientId,seriesInstanceUid,className,dice/);
    assert.ok(
      text.split('\n').some((l) => l.startsWith(`${runIds[0]},`) && l.includes(',test,')),
      'every row names its run',
    );
    // The run report: one self-contained file (no script, nothing fetched) with the worst cases drawn.
    const [report] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="report"] button')]);
    assert.match(report.suggestedFilename(), /-report\.html$/);
    const html = fs.readFileSync(await report.path(), 'utf8');
    assert.ok(!/<script|src="http|href="http/.test(html), 'self-contained');
    assert.match(html, /<h2>Test split[\s\S]*<td>lesion<\/td>/);
    const pngs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
    assert.ok(pngs.length >= 2, `${pngs.length} case images`);
    const meta = await sharp(pngs[0]).metadata();
    assert.equal(meta.format, 'png');
    fs.writeFileSync(path.join(SHOTS, 'run-report.html'), html);
    const reportPage = await browser.newPage();
    await reportPage.goto(`file://${path.join(SHOTS, 'run-report.html')}`);
    await reportPage.screenshot({ path: path.join(SHOTS, 'run-report.png'), fullPage: true });
    await reportPage.close();
  });

  it('queues a study from its form (arms from the registry) and offers its HTML report', async () => {
    await page.goto(`${url}/#/studies`);
    await page.waitForSelector('#study-form');
    assert.deepEqual(await page.$$eval('#s-arms input', (els) => els.map((e) => (e as HTMLInputElement).value)), ['batchAdaptive', 'static', 'uncertainty', 'dwa', 'gradnorm']);
    await page.fill('#s-name', 'browser study');
    await page.selectOption('#s-dataset', 'demo');
    await page.fill('#s-seeds', '3');
    // "auto" first: the easy demo's lesions are not small, so no preset and the default epochs.
    assert.equal(await page.inputValue('#s-preset'), 'auto');
    assert.match((await page.textContent('#s-preset-help')) ?? '', /^auto: none, as no class is small: the smallest, class 2 "lesion" has a median of [\d.]+ voxels per case/);
    // The preset sets the base config's epochs (shown) and what the form has no field for (sent to the API).
    await page.selectOption('#s-preset', 'small-lesions');
    assert.equal(await page.inputValue('#s-epochs'), '48');
    assert.match((await page.textContent('#s-preset-help')) ?? '', /^lesions of 1-3 voxels/);
    await page.fill('#s-epochs', '1');
    // The question named in advance: the chosen dataset's classes x the study metrics.
    assert.ok((await page.$$eval('#s-primary option', (els) => els.map((e) => e.textContent))).includes('lesion sensitivity'));
    await page.selectOption('#s-primary', 'lesion:sensitivity');
    await page.click('#study-form button[type=submit]');
    await page.waitForSelector('[data-table="studies"] td:has-text("browser study")');
    assert.match((await page.textContent('[data-table="studies"]')) ?? '', /batchAdaptive, static, uncertainty, dwa, gradnorm/);
    // Its 15 runs counted by status (a worker may have taken one already).
    const listed = (await (await fetch(`${url}/api/studies`)).json()) as { items: { name: string; primaryEndpoint: unknown }[] };
    assert.deepEqual(listed.items.find((s) => s.name === 'browser study')?.primaryEndpoint, { className: 'lesion', metric: 'sensitivity' });
    const counted = [...((await page.textContent('[data-table="studies"] tr:has-text("browser study") [data-runs]')) ?? '').matchAll(/(\d+) (\w+)/g)];
    assert.equal(
      counted.reduce((n, m) => n + Number(m[1]), 0),
      15,
      counted.map((m) => m[0]).join(', '),
    );
    await shot('studies');
    const href = await page.getAttribute('[data-table="studies"] a', 'href');
    const report = await fetch(`${url}${href}`);
    assert.equal(report.status, 200);
    assert.match(await report.text(), /<h1>Study browser study<\/h1>[\s\S]*15 queued|<h1>Study browser study<\/h1>[\s\S]*queued/);
    // 5 arms x 3 seeds queued as ordinary jobs; they are cancelled here to keep the suite short.
    const runs = (await (await fetch(`${url}/api/runs?limit=100`)).json()) as { items: { id: string; name: string | null; status: string }[] };
    const mine = runs.items.filter((r) => r.name?.startsWith('browser study:'));
    assert.equal(mine.length, 15);
    const one = (await (await fetch(`${url}/api/runs/${mine[0].id}`)).json()) as { config: { epochs: number; model: { inputSlices: number }; inference: { mirror: boolean } } };
    assert.deepEqual([one.config.epochs, one.config.model.inputSlices, one.config.inference.mirror], [1, 3, true]);
    for (const r of mine) await fetch(`${url}/api/runs/${r.id}/cancel`, { method: 'POST' });
  });

  it('logged no console error during the whole launch-watch-review-compare flow', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
