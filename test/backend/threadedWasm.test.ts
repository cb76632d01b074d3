import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/threadedWasmChild.ts', import.meta.url));

interface ChildResult {
  threads: number;
  warning: string | null;
  y: number[];
  dx: number[];
  dw: number[];
}

function runChild(threads: number): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, THREADS: String(threads) } });
  assert.equal(r.signal, null, `the child with ${threads} threads did not exit on its own (killed by ${r.signal}); stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as ChildResult;
}

describe('threaded wasm backend', () => {
  const single = runChild(1);
  it('runs one thread when asked for one', () => {
    assert.equal(single.threads, 1);
    assert.equal(single.warning, null);
  });

  for (const threads of [2, 3]) {
    it(`starts a pool of ${threads} threads, exits on its own, and computes what one thread computes, bit for bit`, () => {
      const multi = runChild(threads);
      assert.equal(multi.threads, threads);
      assert.equal(multi.warning, null);
      for (const key of ['y', 'dx', 'dw'] as const) {
        assert.equal(multi[key].length, single[key].length);
        assert.ok(
          multi[key].some((v) => v !== 0),
          `${key} is all zeros`,
        );
        assert.deepEqual(multi[key], single[key], `${key} differs between 1 and ${threads} threads`);
      }
    });
  }
});
