import fs from 'node:fs';
import path from 'node:path';
import { listFolder, type ScanProblem } from './scan.js';
import { LabelsJsonSchema, type ClassSpecs } from '../data/classSpecs.js';

export { classMapOf, type ClassMap, type ClassSpec, type ClassSpecs } from '../data/classSpecs.js';

/** Reads and validates a labels.json file; strings become specs with no codes. */
export function readLabelsJson(file: string): ClassSpecs {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LabelsFolderError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = LabelsJsonSchema.safeParse(raw);
  if (!parsed.success) throw new LabelsFolderError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface LabelFile {
  path: string;
  /** File name without .nii / .nii.gz */
  stem: string;
  /** Explicit target from manifest.csv (SeriesInstanceUID, PatientID or folder name), if any. */
  target?: string;
}

export class LabelsFolderError extends Error {
  override name = 'LabelsFolderError';
}

const stemOf = (name: string) => name.replace(/\.nii(\.gz)?$/i, '');

/**
 * Reads a labels folder: NIfTI label maps, an optional labels.json class map and an optional manifest.csv
 * (header `file,series`) that maps files explicitly.
 */
export function readLabelsFolder(dir: string): { files: LabelFile[]; classSpecs: ClassSpecs | null; problems: ScanProblem[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new LabelsFolderError(`labels folder does not exist: ${dir}`);
  const classFile = path.join(dir, 'labels.json');
  const classSpecs = fs.existsSync(classFile) ? readLabelsJson(classFile) : null;
  const manifest = new Map<string, string>();
  const manifestFile = path.join(dir, 'manifest.csv');
  if (fs.existsSync(manifestFile)) {
    const lines = fs
      .readFileSync(manifestFile, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim());
    const header = lines
      .shift()
      ?.split(',')
      .map((h) => h.trim().toLowerCase());
    if (header?.[0] !== 'file' || header[1] !== 'series') throw new LabelsFolderError(`${manifestFile}: first line must be "file,series"`);
    lines.forEach((line, i) => {
      const [file, target] = line.split(',').map((c) => c.trim());
      if (!file || !target) throw new LabelsFolderError(`${manifestFile}:${i + 2}: expected "file,series", got "${line}"`);
      manifest.set(file, target);
    });
  }
  const listed = listFolder(dir);
  const files = listed.names.filter((n) => /\.nii(\.gz)?$/i.test(n)).map((n) => ({ path: path.join(dir, n), stem: stemOf(n), target: manifest.get(n) }));
  for (const f of manifest.keys()) {
    if (!files.some((x) => path.basename(x.path) === f)) throw new LabelsFolderError(`${manifestFile}: lists ${f}, which is not in ${dir}`);
  }
  return { files, classSpecs, problems: listed.problems };
}

export interface SeriesKey {
  seriesInstanceUid: string;
  patientId: string;
  folder: string;
}

/**
 * Which series a label file belongs to: its manifest target or stem equals a SeriesInstanceUID; else a
 * PatientID whose patient has exactly one series; else a series folder name. Anything else is an error
 * naming the candidates.
 */
export function matchLabel<T extends SeriesKey>(file: LabelFile, series: T[]): { series: T } | { error: string } {
  const key = file.target ?? file.stem;
  const byUid = series.filter((s) => s.seriesInstanceUid === key);
  if (byUid.length === 1) return { series: byUid[0] };
  const byPatient = series.filter((s) => s.patientId === key);
  if (byPatient.length === 1) return { series: byPatient[0] };
  if (byPatient.length > 1) {
    return { error: `"${key}" is PatientID of ${byPatient.length} series (${byPatient.map((s) => s.seriesInstanceUid).join(', ')}); name the file by SeriesInstanceUID or map it in manifest.csv` };
  }
  const byFolder = series.filter((s) => path.basename(s.folder) === key);
  if (byFolder.length === 1) return { series: byFolder[0] };
  if (byFolder.length > 1) return { error: `"${key}" names the folder of ${byFolder.length} series; name the file by SeriesInstanceUID or map it in manifest.csv` };
  return { error: `"${key}" matches no SeriesInstanceUID, PatientID or series folder in the dataset` };
}
