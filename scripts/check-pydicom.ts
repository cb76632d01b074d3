import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initCodecs } from '../src/dicom/codecs.js';
import { describeThrown } from '../src/dicom/errors.js';
import { readInstanceHeader } from '../src/dicom/header.js';
import { parseDicom } from '../src/dicom/parse.js';
import { decodePixels } from '../src/dicom/pixels.js';

/**
 * `npm run check:pydicom -- DIR`: decodes every file under DIR (recursively) with SegFusion and with
 * pydicom (Debian's /usr/bin/python3), and prints JSON: per file whether each decoded it, our reason
 * for a refusal, and the largest difference of the stored values where both did; then the counts. A
 * researcher can point it at an archive before trusting an ingest of it.
 */
const dir = process.argv[2];
if (!dir || !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: npm run check:pydicom -- DIR (a folder of DICOM files)');
  process.exit(2);
}
const files = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
  .filter((e) => e.isFile())
  .map((e) => path.join(e.parentPath, e.name))
  .sort();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'segfusion-check-pydicom-'));
try {
  await initCodecs();
  const ours: Record<string, { photometric: string } | { error: string }> = {};
  files.forEach((file, i) => {
    try {
      const parsed = parseDicom(fs.readFileSync(file), file);
      const px = decodePixels(parsed.dataSet, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), file);
      fs.writeFileSync(path.join(work, `${i}.f64`), new Float64Array(px.values));
      ours[file] = { photometric: px.photometric };
    } catch (err) {
      ours[file] = { error: describeThrown(err) };
    }
  });
  fs.writeFileSync(path.join(work, 'ours.json'), JSON.stringify(ours));
  const py = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'pydicom_decode.py'), work], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (py.status !== 0) throw new Error(`pydicom_decode.py failed (${py.status}): ${py.stderr}`);
  const rows = py.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string; ours: string; pydicom: string; maxAbsDifference?: number | null });
  const both = rows.filter((r) => r.ours === 'decoded' && r.pydicom === 'decoded');
  const summary = {
    files: rows.length,
    bothDecoded: both.length,
    equal: both.filter((r) => r.maxAbsDifference === 0).length,
    different: both.filter((r) => r.maxAbsDifference !== 0).map((r) => r.file),
    onlyPydicomDecoded: rows.filter((r) => r.ours === 'error' && r.pydicom === 'decoded').map((r) => ({ file: r.file, ourReason: (ours[r.file] as { error: string }).error })),
    onlyOursDecoded: rows.filter((r) => r.ours === 'decoded' && r.pydicom === 'error').map((r) => r.file),
    neither: rows.filter((r) => r.ours === 'error' && r.pydicom === 'error').length,
  };
  console.log(JSON.stringify({ summary, files: rows }, null, 2));
  process.exitCode = summary.different.length ? 1 : 0;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
