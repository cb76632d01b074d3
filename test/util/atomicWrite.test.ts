import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HOST_TAG, tempNameFor, writeFileAtomic } from '../../src/util/atomicWrite.js';
import { tempDir } from '../helpers.js';

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp file behind', () => {
    const dir = tempDir('atomic');
    const file = path.join(dir, 'pointer.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, new Uint8Array([110, 101, 119]));
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(dir), ['pointer.json']);
  });

  it('names temp files by host tag and pid, so a cleaner on a shared folder can tell whose they are', () => {
    const name = path.basename(tempNameFor('/x/a.raw'));
    assert.match(name, new RegExp(`^a\\.raw\\.${HOST_TAG}\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
    assert.match(HOST_TAG, /^[0-9a-f]{8}$/);
  });

  it('fails on a missing folder without creating anything', () => {
    const dir = tempDir('atomic-missing');
    assert.throws(() => writeFileAtomic(path.join(dir, 'no', 'file'), 'x'), /ENOENT/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
