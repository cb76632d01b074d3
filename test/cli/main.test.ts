import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isolatedEnv, ROOT, tempDir } from '../helpers.js';

describe('segfusion (the CLI entry)', () => {
  it('ends quietly with status 0 when its reader closes the pipe early (`segfusion runs list | head`)', () => {
    // `true` exits without reading, long before the CLI (a second to start) writes its first line.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${path.join(ROOT, 'bin', 'segfusion.js')}" runs list | true; echo "status \${PIPESTATUS[0]}"`], { cwd: ROOT, env: isolatedEnv(tempDir('epipe')), encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'status 0', r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
  });
});
