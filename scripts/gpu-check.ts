/**
 * npm run gpu:check: for a machine with a GPU. Says which GPU path of TF.js loads here and why the
 * others do not (tfjs-node-gpu needs CUDA 11.2 and cuDNN 8.1 with a matching driver; see
 * docs/architecture.md, "GPU route"), prints what nvidia-smi reports, and, where a GPU backend loads,
 * times the reference training step on it next to PyTorch by running bench-train.ts with that backend
 * forced. Prints JSON; exits 1 when no GPU path loads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { selectBackend } from '../src/backend/selectBackend.js';

function nvidiaSmi(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const result: Record<string, unknown> = { gpus: nvidiaSmi() };
try {
  const report = await selectBackend('tensorflow-gpu');
  result.tensorflowGpu = { loads: true, version: report.version };
} catch (err) {
  result.tensorflowGpu = { loads: false, reason: err instanceof Error ? err.message : String(err) };
}
if ((result.tensorflowGpu as { loads: boolean }).loads) {
  const bench = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bench-train.ts'), '--rounds', '3'], { encoding: 'utf8', env: { ...process.env, SEGFUSION_BACKEND: 'tensorflow-gpu' } });
  result.referenceStep = bench.status === 0 ? JSON.parse(bench.stdout.slice(bench.stdout.indexOf('{'))) : { failed: bench.stderr.split('\n').slice(-5).join('\n') };
}
console.log(JSON.stringify(result, null, 2));
process.exit((result.tensorflowGpu as { loads: boolean }).loads ? 0 : 1);
