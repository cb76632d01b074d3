import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { HOST_TAG } from '../../src/util/atomicWrite.js';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { ROOT, cli, isolatedEnv, run, smallCohort, tempDir } from '../helpers.js';

/**
 * Reproductions of the hostile and broken inputs of the hardening issue, each against the real CLI on a
 * real (synthetic) cohort edited with dcmtk: every one is reported with its reason, the rest of the
 * folder is catalogued, nothing is written outside the data folder and memory stays bounded.
 */

const ingestJson = (args: string[], env: NodeJS.ProcessEnv): IngestSummary => {
  const r = cli(['ingest', ...args, '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as IngestSummary;
};

const modify = (file: string, ...args: string[]) => run('dcmodify', ['-nb', '-q', ...args, file]);
const reasons = (s: IngestSummary) => s.issues.map((i) => i.reason).join('\n');
const seriesDir = (root: string, patient: number) => path.join(root, 'dicom', `SYN00${patient}`, 'CT_abdomen');
const slicePath = (root: string, patient: number, k: number) => path.join(seriesDir(root, patient), `IM${String(k).padStart(4, '0')}`);

/** Every file under dir, relative. */
const tree = (dir: string): string[] => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : []);

/** A command of the CLI under a 256 MB V8 heap, with its peak RSS. */
function boundedCli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string; maxRss: number } {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', path.join(ROOT, 'test', 'fixtures', 'report-rss.mjs'), path.join(ROOT, 'bin', 'segfusion.js'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const m = /maxRSS=(\d+)/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, maxRss: m ? Number(m[1]) : Infinity };
}

/** The stated memory ceiling of inspecting or ingesting one file (docs/user-guide.md, "Limits"). */
const CEILING = 1024 * 1024 * 1024;

describe('hardening: hostile and broken files', () => {
  let dir: string;
  before(() => {
    dir = tempDir('harden');
  });

  it('never lets a UID choose a path, and one bad UID costs only its file', () => {
    const root = path.join(dir, 'uid');
    smallCohort(root, 3);
    modify(slicePath(root, 1, 1), '-m', '(0020,000e)=../../../elsewhere/pwned');
    modify(slicePath(root, 2, 1), '-m', `(0008,0018)=${'1.2'.repeat(102)}`); // 306 characters: ENAMETOOLONG as a file name
    modify(slicePath(root, 3, 1), '-m', '(0020,000e)=1.2/3.4');
    const env = isolatedEnv(path.join(dir, 'uid-db'));
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'uid'], env);
    assert.equal(s.series, 3, reasons(s));
    assert.equal(s.rejectedFiles, 3, reasons(s));
    assert.match(reasons(s), /SeriesInstanceUID \(0020,000E\) "\.\.\/\.\.\/\.\.\/elsewhere\/pwned" is not a valid UID/);
    assert.match(reasons(s), /SOPInstanceUID \(0008,0018\) "1\.21\.2.*\.\.\." is not a valid UID: it has 306 characters \(at most 64\)/);
    assert.match(reasons(s), /"1\.2\/3\.4" is not a valid UID: it has characters other than digits/);
    // Nothing outside the data folder; every cache file name is a hash.
    assert.ok(!fs.existsSync(path.join(dir, 'elsewhere')) && !fs.existsSync(path.join(dir, 'uid-db', 'elsewhere')));
    const cached = tree(path.join(dir, 'uid-db', 'data', 'cache'));
    assert.ok(cached.length >= 6, cached.join(', '));
    for (const f of cached) assert.match(path.basename(f), /^[0-9a-f]{32}\.(image|label)\.(json|raw)$/);
  });

  it('follows no symbolic link out of the folders given, and reports link loops', () => {
    const root = path.join(dir, 'links');
    smallCohort(root, 2);
    const outside = path.join(dir, 'outside');
    smallCohort(outside, 1);
    fs.renameSync(path.join(outside, 'dicom', 'SYN001'), path.join(outside, 'dicom', 'OTHER'));
    const nested = path.join(root, 'dicom', 'nested');
    fs.mkdirSync(nested);
    fs.symlinkSync(path.join(outside, 'dicom'), path.join(nested, 'inner_link'));
    fs.symlinkSync(path.join(nested, 'loop_b'), path.join(nested, 'loop_a'));
    fs.symlinkSync(path.join(nested, 'loop_a'), path.join(nested, 'loop_b'));
    // In the labels folder too: a label map linked from elsewhere is not read.
    fs.rmSync(path.join(root, 'labels', 'SYN002.nii.gz'));
    fs.symlinkSync(path.join(outside, 'labels', 'SYN001.nii.gz'), path.join(root, 'labels', 'SYN002.nii.gz'));
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'links', '--labels', path.join(root, 'labels')], isolatedEnv(path.join(dir, 'links-db')));
    assert.equal(s.series, 2, reasons(s));
    assert.equal(s.labelsMatched, 1, reasons(s));
    assert.match(reasons(s), /SYN002.nii.gz: symbolic link to a location outside the labels folder; skipped/);
    assert.match(reasons(s), /inner_link: symbolic link to a location outside the folders being ingested; skipped/);
    assert.match(reasons(s), /loop_a: symbolic link loop \(ELOOP\); skipped/);
  });

  it('refuses a billion frames and a deflate bomb within a bounded memory, for inspect and ingest', () => {
    const root = path.join(dir, 'bounds');
    smallCohort(root, 2);
    const frames = slicePath(root, 1, 3);
    modify(frames, '-i', '(0028,0008)=1000000000');
    // A deflated data set: the real meta header of a dcmconv +td file, then 200 MiB of zeros deflated (~200 kB).
    const deflated = path.join(dir, 'deflated.dcm');
    run('dcmconv', ['+td', slicePath(root, 2, 3), deflated]);
    const bytes = fs.readFileSync(deflated);
    const metaEnd = 132 + 12 + bytes.readUInt32LE(140);
    const bomb = slicePath(root, 2, 3);
    fs.writeFileSync(bomb, Buffer.concat([bytes.subarray(0, metaEnd), zlib.deflateRawSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 })]));
    assert.ok(fs.statSync(bomb).size < 1024 * 1024);
    // A JPEG whose frame header (SOF) and Rows/Columns agree on 16384 x 16384 pixels, in a few kB.
    const jpegBomb = path.join(dir, 'jpeg-bomb.dcm');
    run('dcmcjpeg', ['+e1', slicePath(root, 1, 5), jpegBomb]);
    const jb = fs.readFileSync(jpegBomb);
    const sof = jb.indexOf(Buffer.from([0xff, 0xc3]));
    jb.writeUInt16BE(16384, sof + 5);
    jb.writeUInt16BE(16384, sof + 7);
    fs.writeFileSync(jpegBomb, jb);
    modify(jpegBomb, '-m', '(0028,0010)=16384', '-m', '(0028,0011)=16384');
    fs.copyFileSync(jpegBomb, slicePath(root, 1, 5));
    const env = isolatedEnv(path.join(dir, 'bounds-db'));
    for (const [file, pattern] of [
      [frames, /NumberOfFrames \(0028,0008\) is 1000000000, beyond the limit of 16384 frames per file/],
      [bomb, /inflates beyond 16777216 bytes .*decompression bomb/],
      [jpegBomb, /compressed frame cannot hold 16384x16384x1 pixels .*decompression bomb/],
    ] as const) {
      const r = boundedCli(['inspect', file, '--json'], env);
      assert.equal(r.status, 2, r.stderr);
      assert.match(JSON.parse(r.stdout).error, pattern);
      assert.ok(r.maxRss < CEILING, `inspect peaked at ${r.maxRss} bytes`);
    }
    const r = boundedCli(['ingest', path.join(root, 'dicom'), '--dataset', 'bounds', '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.maxRss < CEILING, `ingest peaked at ${r.maxRss} bytes`);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as IngestSummary;
    assert.equal(s.series, 2, reasons(s));
    // The JPEG bomb's Rows differ from its neighbours': it is left out of the series before any decoding.
    assert.equal(s.rejectedFiles, 2, reasons(s));
    assert.match(reasons(s), /IM0005: series .*image 16384x16384 .* left out of the volume/);
  });

  it('splits a series at a slice 100 m away instead of a 40,000-slice grid', () => {
    const root = path.join(dir, 'far');
    smallCohort(root, 1);
    const file = slicePath(root, 1, 12);
    const ipp = run('dcmdump', ['+P', '0020,0032', file])
      .match(/\[([^\]]+)\]/)![1]
      .split('\\')
      .map(Number);
    modify(file, '-m', `(0020,0032)=${ipp[0]}\\${ipp[1]}\\${ipp[2] + 100_000}`);
    const env = isolatedEnv(path.join(dir, 'far-db'));
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'far'], env);
    assert.equal(s.series, 1);
    // The moved slice leaves a one-slice gap in the 12-slice grid (interpolated), not 40,000 slices.
    assert.equal(s.seriesTable[0].size, '64x64x12');
    assert.match(reasons(s), /split the series into 2 stacks/);
    assert.match(reasons(s), /IM0012: series .*in another stack/);
    const bytes = tree(path.join(dir, 'far-db', 'data', 'cache')).reduce((n, f) => n + fs.statSync(path.join(dir, 'far-db', 'data', 'cache', f)).size, 0);
    assert.ok(bytes < 1024 * 1024, `cache holds ${bytes} bytes`);
  });

  it('drops one slice without a usable position and interpolates it, rejecting nothing else', () => {
    const root = path.join(dir, 'ipp');
    smallCohort(root, 2);
    modify(slicePath(root, 1, 6), '-e', '(0020,0032)');
    modify(slicePath(root, 2, 6), '-m', '(0020,0032)=1\\2');
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'ipp'], isolatedEnv(path.join(dir, 'ipp-db')));
    assert.equal(s.series, 2, reasons(s));
    assert.deepEqual(
      s.seriesTable.map((r) => r.size),
      ['64x64x12', '64x64x12'],
    );
    assert.match(reasons(s), /SYN001\/CT_abdomen\/IM0006: series .*no usable ImagePositionPatient/);
    assert.match(reasons(s), /SYN002\/CT_abdomen\/IM0006: series .*no usable ImagePositionPatient/);
    assert.match(reasons(s), /missing 1 slice\(s\).*filled by interpolating/);
  });

  it('rejects decodable but inconsistent slices with a sentence naming the tag', () => {
    const root = path.join(dir, 'inconsistent');
    smallCohort(root, 1);
    const slope = slicePath(root, 1, 2);
    modify(slope, '-m', '(0028,1053)=1e308');
    const rows = slicePath(root, 1, 4);
    modify(rows, '-m', '(0028,0010)=32');
    const jpeg = slicePath(root, 1, 8);
    run('dcmcjpeg', ['+e1', jpeg, `${jpeg}.jpg`]); // lossless JPEG of the 64x64 slice ...
    fs.renameSync(`${jpeg}.jpg`, jpeg);
    modify(jpeg, '-m', '(0028,0010)=32', '-m', '(0028,0011)=32'); // ... under Rows = Columns = 32
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'inconsistent'], isolatedEnv(path.join(dir, 'inconsistent-db')));
    assert.equal(s.series, 1, reasons(s));
    assert.match(reasons(s), /IM0002: RescaleSlope \(0028,1053\) 1e\+308 and RescaleIntercept \(0028,1052\) -1024 give values from .* to Infinity, beyond \+-10000000/);
    // In a series, a slice whose Rows differ from its neighbours' is left out before decoding ...
    assert.match(reasons(s), /IM0004: series .*image 32x64 .* differs from the 9 instance\(s\) kept \(64x64 /);
    // ... and on its own, each inconsistency is named.
    const env = isolatedEnv(path.join(dir, 'inconsistent-db'));
    for (const [file, pattern] of [
      [rows, /IM0004: Pixel Data holds 8192 bytes but 1 frame\(s\) of 32x64x1 at 16 bits need 4096: Rows, Columns or NumberOfFrames do not match the data/],
      [jpeg, /IM0008: .*frame: its frame header says 64x64 pixels but Columns x Rows \(0028,0011\)\/\(0028,0010\) say 32x32/],
    ] as const) {
      const r = cli(['inspect', file, '--json'], env);
      assert.equal(r.status, 2, r.stderr);
      assert.match(JSON.parse(r.stdout).error, pattern);
    }
    for (const i of s.issues) assert.doesNotMatch(i.reason, /undefined|Invalid typed array|TypeError|RangeError/);
  });

  it('marks an import killed with SIGKILL as interrupted and removes its temp files at the next start', async () => {
    const root = path.join(dir, 'killed');
    smallCohort(root, 3);
    const env = isolatedEnv(path.join(dir, 'killed-db'));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'segfusion.js'), 'ingest', path.join(root, 'dicom'), '--dataset', 'k'], { cwd: ROOT, env, stdio: 'ignore' });
    const db = path.join(dir, 'killed-db', 'db.sqlite');
    const running = () => {
      try {
        return (new Database(db, { readonly: true, fileMustExist: true }).prepare("SELECT count(*) AS n FROM IngestRun WHERE status = 'running'").get() as { n: number }).n > 0;
      } catch {
        return false; // not created or not migrated yet
      }
    };
    const deadline = Date.now() + 60_000;
    while (!running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // A temp file of the killed process, as an interrupted cache write leaves it.
    const cache = path.join(dir, 'killed-db', 'data', 'cache');
    fs.mkdirSync(cache, { recursive: true });
    const tmp = path.join(cache, `x.image.raw.${HOST_TAG}.${child.pid}.0123abcd.tmp`);
    fs.writeFileSync(tmp, 'partial');
    const s = ingestJson([path.join(root, 'dicom'), '--dataset', 'k'], env);
    assert.equal(s.series, 3);
    assert.ok(!fs.existsSync(tmp), 'the temp file of the killed import is removed');
    const rows = new Database(db, { readonly: true }).prepare('SELECT status FROM IngestRun ORDER BY startedAt').all() as { status: string }[];
    assert.deepEqual(
      rows.map((r) => r.status),
      ['interrupted', 'completed'],
    );
  });
});
