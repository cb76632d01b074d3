import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig: storage and worker lease', () => {
  const cases = [
    { name: 'one folder by default', env: { SEGFUSION_DATA_DIR: '/srv/local' }, storage: '/srv/local', leaseMs: 60_000 },
    { name: 'a shared storage root', env: { SEGFUSION_DATA_DIR: '/srv/local', SEGFUSION_STORAGE: '/mnt/shared', SEGFUSION_WORKER_LEASE_S: '15' }, storage: '/mnt/shared', leaseMs: 15_000 },
  ];
  for (const c of cases) {
    it(`${c.name}: cache, runs and PACS mirror under the storage root; the pseudonym key's folder stays local`, () => {
      const config = loadConfig(c.env);
      assert.equal(config.storageDir, c.storage);
      assert.equal(config.cacheDir, path.join(c.storage, 'cache'));
      assert.equal(config.runsDir, path.join(c.storage, 'runs'));
      assert.equal(config.pacs.mirrorDir, path.join(c.storage, 'pacs'));
      assert.equal(config.dataDir, '/srv/local');
      assert.equal(config.databaseUrl, `file:${path.join('/srv/local', 'segfusion.db')}`);
      assert.equal(config.workerLeaseMs, c.leaseMs);
    });
  }
  it('refuses a lease outside 5-3600 s, naming the variable', () => {
    for (const v of ['4', '3601', 'soon'])
      assert.throws(
        () => loadConfig({ SEGFUSION_WORKER_LEASE_S: v }),
        (e: unknown) => e instanceof ConfigError && /SEGFUSION_WORKER_LEASE_S/.test(e.message),
      );
  });
});
