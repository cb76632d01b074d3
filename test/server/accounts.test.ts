import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ServeError, startServer } from '../../src/server/serve.js';
import { cli, isolatedEnv, ok, tempDir } from '../helpers.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

const SHARED = 'shared-token-0123456789';

describe('accounts, roles, sessions and the audit log', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let base: string;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const call = async (p: string, init: { method?: string; body?: unknown; token?: string; cookie?: string; csrf?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.cookie = init.cookie;
    if (init.csrf) headers['x-csrf-token'] = init.csrf;
    const res = await fetch(`${base}${p}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as Json };
  };
  const config = { dataset: 'demo', epochs: 1, batchesPerEpoch: 2, sampling: { batchSize: 2, patchSize: 32 }, model: { depth: 2, baseFilters: 4 } };

  before(async () => {
    dir = tempDir('accounts');
    env = isolatedEnv(dir);
    // Accounts are made on the command line, which prints each token once.
    for (const [name, role] of [
      ['vic', 'viewer'],
      ['ann', 'researcher'],
      ['bob', 'researcher'],
      ['ada', 'admin'],
    ]) {
      const out = ok(cli(['user', 'add', name, '--role', role], env));
      const m = /^User (\w+) \((\w+)\)\. Their API token, shown this once:\n(sf_[0-9a-f]{12}_[\w-]{43})\n$/.exec(out);
      assert.ok(m, out);
      tokens[name] = m[3];
    }
    const server = await startServer(loadConfig({ DATABASE_URL: env.DATABASE_URL, SEGFUSION_DATA_DIR: env.SEGFUSION_DATA_DIR, SEGFUSION_TOKEN: SHARED }), {
      host: '127.0.0.1',
      port: 0,
      worker: false,
      demo: { dir: path.join(dir, 'demo'), patients: 3 },
    });
    base = server.url;
    close = server.close;
  });
  after(async () => close());

  it('answers nothing but health without a token or a session', async () => {
    assert.equal((await call('/api/health')).status, 200);
    for (const p of ['/api/runs', '/api/datasets', '/api/session', '/api/audit']) {
      const r = await call(p);
      assert.equal(r.status, 401, p);
      assert.match(r.json.error?.message ?? '', /sign in with an API token/);
    }
    for (const token of ['sf_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', `${tokens.ann.slice(0, -1)}x`, 'not a token']) {
      const r = await call('/api/runs', { token });
      assert.equal(r.status, 401, token);
      assert.match(r.json.error?.message ?? '', /wrong or revoked API token/);
    }
  });

  it('lets a viewer read, a researcher launch and act on their own runs, an admin act on any, each refusal naming the role or the owner', async () => {
    assert.equal((await call('/api/runs', { token: tokens.vic })).status, 200);
    const refused = await call('/api/runs', { method: 'POST', token: tokens.vic, body: { config } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error?.message, 'this needs the researcher role; vic is a viewer');
    const created = await call('/api/runs', { method: 'POST', token: tokens.ann, body: { config, name: 'ann run' } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const run = (created.json.run as { id: string; owner: string }).id;
    assert.equal((created.json.run as { owner: string }).owner, 'ann');
    const list = await call('/api/runs', { token: tokens.vic });
    assert.equal((list.json.items as { id: string; owner: string }[]).find((r) => r.id === run)?.owner, 'ann', 'everyone sees who launched a run');
    const other = await call(`/api/runs/${run}/cancel`, { method: 'POST', token: tokens.bob });
    assert.equal(other.status, 403);
    assert.equal(other.json.error?.message, `bob (researcher) may not cancel run ${run}: it was launched by ann, and only its owner or an admin may`);
    assert.equal((await call(`/api/runs/${run}`, { method: 'PATCH', token: tokens.bob, body: { tags: ['x'] } })).status, 403);
    assert.equal((await call(`/api/runs/${run}`, { method: 'PATCH', token: tokens.ann, body: { tags: ['mine'] } })).status, 200);
    assert.equal((await call(`/api/runs/${run}/cancel`, { method: 'POST', token: tokens.ann })).status, 202);
    const del = await call(`/api/runs/${run}`, { method: 'DELETE', token: tokens.ann });
    assert.equal(del.status, 403);
    assert.equal(del.json.error?.message, 'this needs the admin role; ann is a researcher');
    assert.equal((await call(`/api/runs/${run}`, { method: 'DELETE', token: tokens.ada })).status, 204);
    const ingest = await call('/api/datasets/ingest', { method: 'POST', token: tokens.ann, body: { path: 'x', dataset: 'y' } });
    assert.equal(ingest.status, 403, 'ingesting is an admin task');
    // The shared SEGFUSION_TOKEN acts as the admin "token".
    const shared = await call('/api/runs', { method: 'POST', token: SHARED, body: { config } });
    assert.equal((shared.json.run as { owner: string }).owner, 'token');
  });

  it('signs a browser in with a token: an HttpOnly, SameSite=Strict cookie, and a CSRF token every change must carry', async () => {
    const signedIn = await call('/api/session', { method: 'POST', body: { token: tokens.ann } });
    assert.equal(signedIn.status, 201);
    const setCookie = signedIn.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^segfusion_session=[\w-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0];
    const csrf = signedIn.json.csrf as string;
    assert.deepEqual({ name: signedIn.json.name, role: signedIn.json.role }, { name: 'ann', role: 'researcher' });
    const me = await call('/api/session', { cookie });
    assert.deepEqual(me.json, { name: 'ann', role: 'researcher', csrf });
    assert.equal((await call('/api/runs', { cookie })).status, 200, 'reads need no CSRF token');
    const forged = await call('/api/runs', { method: 'POST', cookie, body: { config } });
    assert.equal(forged.status, 403);
    assert.match(forged.json.error?.message ?? '', /missing or wrong X-CSRF-Token header/);
    assert.equal((await call('/api/runs', { method: 'POST', cookie, csrf: `${csrf}x`, body: { config } })).status, 403);
    const made = await call('/api/runs', { method: 'POST', cookie, csrf, body: { config } });
    assert.equal(made.status, 201);
    assert.equal((made.json.run as { owner: string }).owner, 'ann');
    assert.equal((await call('/api/session', { method: 'DELETE', cookie })).status, 204);
    assert.equal((await call('/api/runs', { cookie })).status, 401, 'signed out');
    assert.equal((await call('/api/session', { method: 'POST', body: { token: 'wrong' } })).status, 401);
  });

  it('records who did what, for admins only; revoking a user ends their tokens and sessions', async () => {
    assert.equal((await call('/api/audit', { token: tokens.ann })).status, 403);
    const audit = await call('/api/audit?limit=500', { token: tokens.ada });
    const events = (audit.json.items as { actor: string; action: string; target: string | null }[]).map((e) => `${e.actor} ${e.action}`);
    for (const e of ['ann run.create', 'ann run.update', 'ann run.cancel', 'ada run.delete', 'token run.create', 'ann session.create']) assert.ok(events.includes(e), `${e} in ${events.join(', ')}`);
    assert.equal(events.filter((x) => /^cli:\S+ user\.add$/.test(x)).length, 4, 'the command line made the four accounts');
    const ann = await call('/api/audit?actor=ann&action=run.', { token: tokens.ada });
    assert.ok((ann.json.items as { actor: string; action: string }[]).every((e) => e.actor === 'ann' && e.action.startsWith('run.')));
    const users = await call('/api/users', { token: tokens.ada });
    assert.deepEqual(
      (users.json.items as { name: string; role: string }[]).map((u) => `${u.name}:${u.role}`),
      ['ada:admin', 'ann:researcher', 'bob:researcher', 'vic:viewer'],
    );
    assert.doesNotMatch(JSON.stringify(users.json), /sf_|hash|salt/, 'no secret, hash or salt leaves the server');
    const session = await call('/api/session', { method: 'POST', body: { token: tokens.bob } });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(ok(cli(['user', 'revoke', 'bob'], env)), /^bob: 1 token\(s\) revoked, sessions ended\n$/);
    assert.equal((await call('/api/runs', { token: tokens.bob })).status, 401);
    assert.equal((await call('/api/runs', { cookie })).status, 401);
    const fresh = ok(cli(['user', 'token', 'bob'], env)).trim();
    assert.equal((await call('/api/runs', { token: fresh })).status, 200, 'a new token works again');
    ok(cli(['user', 'revoke', 'bob', '--disable'], env));
    assert.equal((await call('/api/runs', { token: fresh })).status, 401, 'a disabled account signs nobody in');
  });

  it('lists accounts on the command line without secrets, and prints the audit log', () => {
    const list = JSON.parse(ok(cli(['user', 'list', '--json'], env))) as { name: string; tokens: { id: string; revokedAt: string | null }[]; disabledAt: string | null }[];
    const bob = list.find((u) => u.name === 'bob');
    assert.ok(bob?.disabledAt && bob.tokens.length === 2 && bob.tokens.every((t) => t.revokedAt));
    assert.doesNotMatch(JSON.stringify(list), /sf_[0-9a-f]{12}_|"hash"|"salt"/);
    const dup = cli(['user', 'add', 'ann', '--role', 'viewer'], env);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /user "ann" exists already/);
    const bad = cli(['user', 'add', 'x y', '--role', 'owner'], env);
    assert.match(bad.stderr, /--role must be one of viewer, researcher, admin, got "owner"/);
    const audit = JSON.parse(ok(cli(['audit', '--json', '--action', 'user.'], env))) as { items: { action: string }[] };
    assert.ok(audit.items.some((e) => e.action === 'user.disable') && audit.items.every((e) => e.action.startsWith('user.')));
  });

  it('listens beyond 127.0.0.1 with accounts, without SEGFUSION_TOKEN; without either it refuses', async () => {
    const withUsers = await startServer(loadConfig({ DATABASE_URL: env.DATABASE_URL, SEGFUSION_DATA_DIR: env.SEGFUSION_DATA_DIR }), { host: '0.0.0.0', port: 0, worker: false, demo: null });
    await withUsers.close();
    const empty = tempDir('accounts-empty');
    await assert.rejects(
      startServer(loadConfig({ DATABASE_URL: `file:${path.join(empty, 'db.sqlite')}`, SEGFUSION_DATA_DIR: path.join(empty, 'data') }), { host: '0.0.0.0', port: 0, worker: false, demo: null }),
      (err: Error) => err instanceof ServeError && /create accounts \(segfusion user add NAME --role admin\) or set SEGFUSION_TOKEN/.test(err.message),
    );
  });
});
