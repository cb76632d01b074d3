import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isolatedEnv, ROOT, tempDir } from '../helpers.js';

describe('segfusion serve', () => {
  it('prints its URL, answers health, and exits cleanly on SIGINT', async () => {
    const dir = tempDir('serve');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'serve', '--port', '0', '--no-demo'], { cwd: ROOT, env: isolatedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 300 && !/http:\/\/\S+\//.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /(http:\/\/\S+)\//.exec(out)?.[1];
    assert.ok(url, `no URL printed: ${out} ${err}`);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await (await fetch(`${url}/api/health`)).json(), { status: 'ok' });
    const html = await (await fetch(`${url}/`)).text();
    assert.match(html, /<script type="module" src="\/app.js">/);
    assert.equal((await fetch(`${url}/app.js`)).status, 200);
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
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
