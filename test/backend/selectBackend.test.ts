import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, selectBackend } from '../../src/backend/selectBackend.js';

describe('selectBackend', () => {
  it('falls back past the packages that are absent to wasm-native (oneDNN built) or wasm, saying why it skipped them', async () => {
    const report = await selectBackend();
    const tensorflow = report.choice === 'tensorflow' || report.choice === 'tensorflow-gpu';
    if (!tensorflow) {
      const native = fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');
      assert.equal(report.choice, native ? 'wasm-native' : 'wasm');
      assert.equal(tf.getBackend(), 'wasm');
      assert.deepEqual(
        report.skipped.map((s) => s.choice),
        native ? ['tensorflow-gpu'] : ['tensorflow-gpu', 'wasm-native', 'tensorflow'],
      );
      assert.ok(report.skipped.every((s) => s.reason.length > 0));
    }
    assert.match(report.version, /^\d+\.\d+\.\d+/);
  });

  it('honours a forced cpu backend and warns that it is slow', async () => {
    const report = await selectBackend('cpu');
    assert.equal(report.tfBackend, 'cpu');
    assert.match(report.warning ?? '', /very slow/);
  });

  it('reports a forced backend that cannot load, with the reason', async (t) => {
    try {
      await import('@tensorflow/tfjs-node' as string);
      t.skip('tfjs-node is installed with libtensorflow on this machine');
      return;
    } catch {
      await assert.rejects(selectBackend('tensorflow'), (e: unknown) => e instanceof BackendUnavailableError && /tensorflow: /.test(e.message));
    }
  });
});
