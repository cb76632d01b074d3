import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticCohort } from '../../src/data/synthetic.js';
import { Random } from '../../src/util/random.js';
import { deepSequenceFile, MUTATIONS, mutate } from './mutations.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Scratch folder: sources, mutated files, the file list. */
  dir: string;
  /** Where failing inputs are copied (with a JSON note each); none when absent. */
  keepDir?: string;
  /** A file taking longer than this is a hang (default 10 s). */
  timeBoxMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FuzzFailure {
  file: string;
  source: string;
  mutation: string;
  problem: 'crash' | 'hang' | 'unexpected-error' | 'bad-reason';
  detail: string;
}

export interface FuzzReport {
  files: number;
  accepted: number;
  rejected: number;
  failures: FuzzFailure[];
  /** Peak resident memory of the worker process over all its runs, bytes. */
  maxRss: number;
  /** The folder of the mutated files (for a follow-up ingest of the same folder). */
  mutatedDir: string;
}

/** What a reason must look like: one line, starting with the file, naming no engine error. */
const RAW_JS = /TypeError|ReferenceError|RangeError|undefined|Cannot read|is not a function|Invalid typed array|Maximum call stack|\[object Object\]|offset is out of bounds/;

function check(file: string, reason: string): string | null {
  if (reason.includes('\n')) return 'reason spans several lines';
  if (!reason.startsWith(file)) return 'reason does not start with the file';
  if (RAW_JS.test(reason)) return 'reason carries a raw JavaScript error';
  return null;
}

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
};

/** One valid 64x64 CT slice in each source transfer syntax, made by dcmtk and GDCM. */
export function makeSources(dir: string): Record<string, string> {
  generateSyntheticCohort({ out: path.join(dir, 'cohort'), patients: 1, matrix: 64, slices: 4, seed: 3 });
  const base = path.join(dir, 'cohort', 'dicom', 'SYN001', 'CT_abdomen', 'IM0002');
  const s = (n: string) => path.join(dir, `${n}.dcm`);
  fs.copyFileSync(base, s('explicit'));
  run('dcmcrle', [base, s('rle')]);
  run('dcmcjpeg', ['+e1', base, s('jpeg-lossless')]);
  run('dcmcjpls', [base, s('jpeg-ls')]);
  run('gdcmconv', ['--j2k', base, s('jpeg2000')]);
  run('dcmconv', ['+td', base, s('deflated')]);
  return Object.fromEntries(['explicit', 'rle', 'jpeg-lossless', 'jpeg-ls', 'jpeg2000', 'deflated'].map((n) => [n, s(n)]));
}

/**
 * Seeded mutation fuzzing of the DICOM reader as ingest uses it: `count` mutated files (cycled over
 * the source syntaxes and mutation kinds) plus a 200-deep and a 100,000-deep sequence, each read in a
 * child process under a 256 MB heap with a per-file time box. A crash, a hang, an engine error or a
 * reason that is not one line starting with the file is a failure.
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const sources = makeSources(path.join(o.dir, 'sources'));
  const mutatedDir = path.join(o.dir, 'mutated');
  fs.mkdirSync(mutatedDir, { recursive: true });
  const rng = new Random(o.seed);
  const names = Object.keys(sources);
  const bytes = Object.fromEntries(names.map((n) => [n, new Uint8Array(fs.readFileSync(sources[n]))]));
  const files: { file: string; source: string; mutation: string }[] = [];
  for (let i = 0; i < o.count; i++) {
    const source = names[i % names.length];
    const mutation = MUTATIONS[rng.int(0, MUTATIONS.length - 1)];
    const file = path.join(mutatedDir, `f${String(i).padStart(5, '0')}-${source}-${mutation}.dcm`);
    fs.writeFileSync(file, mutate(bytes[source], mutation, rng));
    files.push({ file, source, mutation });
  }
  for (const depth of [200, 100_000]) {
    const file = path.join(mutatedDir, `deep-${depth}.dcm`);
    fs.writeFileSync(file, deepSequenceFile(bytes.explicit, depth));
    files.push({ file, source: 'explicit', mutation: `sequences ${depth} deep` });
  }
  const listFile = path.join(o.dir, 'files.json');
  fs.writeFileSync(listFile, JSON.stringify(files.map((f) => f.file)));

  const failures: FuzzFailure[] = [];
  let accepted = 0;
  let rejected = 0;
  let maxRss = 0;
  let next = 0;
  const timeBox = o.timeBoxMs ?? 10_000;
  while (next < files.length) {
    const outcome = await new Promise<{ problem: 'crash' | 'hang'; detail: string } | null>((resolve) => {
      const child = spawn(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', '--import', path.join(ROOT, 'test', 'fixtures', 'report-rss.mjs'), path.join(ROOT, 'test', 'fuzz', 'fuzzWorker.ts'), listFile, String(next)], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let pending = '';
      let stderr = '';
      let timer = setTimeout(() => child.kill('SIGKILL'), timeBox * 3); // start-up (tsx, codecs) included
      let hung = false;
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.stdout.on('data', (d: Buffer) => {
        pending += d.toString();
        for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
          const line = JSON.parse(pending.slice(0, nl)) as { i: number; ok?: true; reason?: string; unexpected?: boolean };
          pending = pending.slice(nl + 1);
          const f = files[line.i];
          if (line.ok) accepted++;
          else {
            rejected++;
            const bad = line.unexpected ? 'unexpected-error' : check(f.file, line.reason!) ? 'bad-reason' : null;
            if (bad) failures.push({ ...f, problem: bad, detail: `${check(f.file, line.reason!) ?? 'engine error'}: ${line.reason}` });
          }
          next = line.i + 1;
          o.onProgress?.(next, files.length);
          clearTimeout(timer);
          timer = setTimeout(() => {
            hung = true;
            child.kill('SIGKILL');
          }, timeBox);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        const m = /maxRSS=(\d+)/.exec(stderr);
        if (m) maxRss = Math.max(maxRss, Number(m[1]));
        if (next >= files.length) return resolve(null);
        resolve({ problem: hung ? 'hang' : 'crash', detail: hung ? `no answer within ${timeBox} ms` : `worker exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
      });
    });
    if (outcome) {
      failures.push({ ...files[next], ...outcome });
      next++;
    }
  }
  if (o.keepDir && failures.length) {
    fs.mkdirSync(o.keepDir, { recursive: true });
    for (const f of failures) {
      fs.copyFileSync(f.file, path.join(o.keepDir, path.basename(f.file)));
      fs.writeFileSync(path.join(o.keepDir, `${path.basename(f.file)}.json`), JSON.stringify({ ...f, seed: o.seed }, null, 2));
    }
  }
  return { files: files.length, accepted, rejected, failures, maxRss, mutatedDir };
}
