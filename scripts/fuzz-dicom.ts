import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/fuzz/runFuzz.js';

/**
 * `npm run fuzz:dicom -- --count N --seed S`: the CI fuzz test, longer. Prints the report as JSON and
 * keeps every failing input (with a note of its source, mutation and problem) under test-output/fuzz/.
 */
const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' }, seed: { type: 'string', default: String(Date.now() % 100000) } } });
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || seed < 0) {
  console.error(`--count and --seed must be non-negative integers, got ${values.count} and ${values.seed}`);
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segfusion-fuzz-'));
const keepDir = path.resolve('test-output', 'fuzz', `seed-${seed}`);
try {
  const report = await runFuzz({ count, seed, dir, keepDir, onProgress: (d, t) => d % 500 === 0 && process.stderr.write(`${d}/${t}\n`) });
  console.log(JSON.stringify({ seed, ...report, mutatedDir: undefined, keptIn: report.failures.length ? keepDir : null }, null, 2));
  process.exitCode = report.failures.length ? 1 : 0;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
