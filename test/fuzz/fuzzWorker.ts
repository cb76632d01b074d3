import fs from 'node:fs';
import { initCodecs } from '../../src/dicom/codecs.js';
import { describeThrown, failureReason } from '../../src/dicom/errors.js';
import { readInstanceHeader } from '../../src/dicom/header.js';
import { parseDicom } from '../../src/dicom/parse.js';
import { decodePixels } from '../../src/dicom/pixels.js';
import { readHeader } from '../../src/ingest/readHeader.js';

/**
 * Child process of the fuzzer: takes each file as ingest does (header phase, then a full parse and
 * decode of its pixels) and prints one JSON line per file, its index and either ok or the reason the
 * product would record. Runs from `start` in the list, so the parent can restart it after a crash or hang.
 */
const [listFile, startArg] = process.argv.slice(2);
const files = JSON.parse(fs.readFileSync(listFile, 'utf8')) as string[];
await initCodecs();
for (let i = Number(startArg ?? 0); i < files.length; i++) {
  const file = files[i];
  let line: { i: number; ok: true } | { i: number; reason: string; unexpected: boolean };
  try {
    readHeader(file, fs.statSync(file).size);
    const parsed = parseDicom(fs.readFileSync(file), file);
    decodePixels(parsed.dataSet, readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid), file);
    line = { i, ok: true };
  } catch (err) {
    // Errors that are not Errors, or are the engine's own, are defects even when the text looks fine.
    const unexpected = !(err instanceof Error) || err instanceof TypeError || err instanceof ReferenceError || (err instanceof RangeError && !/limit/.test(describeThrown(err)));
    line = { i, reason: failureReason(file, err), unexpected };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
