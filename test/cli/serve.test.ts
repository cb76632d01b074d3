import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, isolatedEnv, ROOT, tempDir } from '../helpers.js';

/** Waits for the dashboard URL a server prints. */
async function printedUrl(child: ReturnType<typeof spawn>): Promise<string> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 300 && !/http:\/\/\S+\//.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  const url = /(http:\/\/\S+)\//.exec(out)?.[1];
  assert.ok(url, `no URL printed: ${out} ${err}`);
  return url;
}

/** Milliseconds from a signal to the process's exit, and its exit code. */
async function stopTime(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const code = await exited;
  return { ms: Date.now() - started, code };
}

describe('segfusion serve', () => {
  it('prints its URL, answers health, and exits cleanly on SIGINT', async () => {
    const dir = tempDir('serve');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'serve', '--port', '0', '--no-demo'], { cwd: ROOT, env: isolatedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await printedUrl(child);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url}/api/health`)).json()) as { status: string; checks: { name: string; ok: boolean }[] };
    assert.equal(health.status, 'ok');
    assert.deepEqual(
      health.checks.map((c) => [c.name, c.ok]),
      [
        ['database', true],
        ['dataFolder', true],
        ['worker', true],
      ],
    );
    assert.deepEqual(await (await fetch(`${url}/api/health/live`)).json(), { status: 'ok' });
    const html = await (await fetch(`${url}/`)).text();
    assert.match(html, /<script type="module" src="\/app.js">/);
    assert.equal((await fetch(`${url}/app.js`)).status, 200);
    const { code } = await stopTime(child, 'SIGINT');
    assert.equal(code, 0);
  });

  it('stops promptly on SIGTERM when idle (the worker thread was kept alive for 30 s before)', async () => {
    const dir = tempDir('serve');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'serve', '--port', '0', '--no-demo'], { cwd: ROOT, env: isolatedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    await printedUrl(child);
    const { ms, code } = await stopTime(child, 'SIGTERM');
    assert.equal(code, 0, `exit code ${code}`);
    // The bound of the issue is 2 s; 5 s leaves room for a loaded CI machine, far from the old 30 s.
    assert.ok(ms < 5_000, `stopped after ${ms} ms`);
  });

  it('stops a training on SIGTERM after its current batch: the run is interrupted and its job queued again', async () => {
    const dir = tempDir('serve');
    const env = isolatedEnv(dir);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'serve', '--port', '0', '--demo-dir', path.join(dir, 'demo'), '--demo-patients', '4'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await printedUrl(child);
    const config = { dataset: 'demo', model: { depth: 2, baseFilters: 4 }, sampling: { patchSize: 32, batchSize: 2 }, epochs: 50, batchesPerEpoch: 20, split: { test: 0.25, validation: 0.34 } };
    const launched = (await (await fetch(`${url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config }) })).json()) as { run: { id: string } };
    const status = async () => ((await (await fetch(`${url}/api/runs/${launched.run.id}`)).json()) as { status: string; epochs: unknown[] }).status;
    for (let i = 0; i < 600 && (await status()) !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await status(), 'running');
    await new Promise((r) => setTimeout(r, 3000)); // into the training loop
    const { ms, code } = await stopTime(child, 'SIGTERM');
    assert.equal(code, 0, `exit code ${code}`);
    assert.ok(ms < 10_000, `stopped after ${ms} ms (Docker's default stop timeout is 10 s)`);
    const shown = JSON.parse(cli(['runs', 'show', launched.run.id, '--json'], env).stdout) as { status: string };
    // Nobody cancelled it: the run is interrupted and its job queued again for the next start to resume.
    assert.equal(shown.status, 'interrupted');
  });

  it('under `npm start`, SIGTERM to npm reaches the server (no orphan left serving)', async () => {
    const dir = tempDir('serve');
    const port = 20_000 + (process.pid % 20_000);
    const child = spawn('npm', ['start', '--', '--no-demo'], { cwd: ROOT, env: { ...isolatedEnv(dir), PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await printedUrl(child);
    assert.equal((await fetch(`${url}/api/health/live`)).status, 200);
    const { code } = await stopTime(child, 'SIGTERM');
    assert.notEqual(code, null);
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(fetch(`${url}/api/health/live`), 'nothing serves on the port after npm stopped');
  });

  it('reports a wrong SEGFUSION_TOKEN in one line, not a validation dump', () => {
    const r = cli(['serve', '--no-demo'], { ...isolatedEnv(tempDir('serve')), SEGFUSION_TOKEN: 'short' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'error: SEGFUSION_TOKEN: SEGFUSION_TOKEN must have at least 16 characters');
  });

  it('refuses --host 0.0.0.0 without SEGFUSION_TOKEN, saying why', async () => {
    const dir = tempDir('serve');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'serve', '--host', '0.0.0.0', '--no-demo'], { cwd: ROOT, env: isolatedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /set SEGFUSION_TOKEN/);
  });
});
