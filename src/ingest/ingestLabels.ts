import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client.js';
import { datasetSeries, saveLabel, seriesSliceIndex, setClassMap, type IssueRecord } from '../db/catalog.js';
import { initCodecs } from '../dicom/codecs.js';
import { DicomError } from '../dicom/errors.js';
import { readInstanceHeader } from '../dicom/header.js';
import { parseDicom, sniffDicom } from '../dicom/parse.js';
import { RT_STRUCTURE_SET_STORAGE, readStructureSet, type StructureSet } from '../dicom/rtstruct.js';
import { readSegmentation, type Segmentation } from '../dicom/seg.js';
import { alignLabelToSeries, LabelMismatchError } from '../data/labelAlign.js';
import { structureSetToLabels } from '../data/rtstructRaster.js';
import { segToLabelVolume } from '../data/segAlign.js';
import { volumeExists, writeVolume } from '../data/volumeCache.js';
import { NiftiError, readNifti } from '../nifti/nifti.js';
import { classMapOf, matchLabel, readLabelsFolder, type ClassMap } from './labels.js';
import { RoiClasses } from './roiClasses.js';
import { listFolder } from './scan.js';
import { readPrefix, sha1 } from '../util/files.js';
import { cacheName } from '../util/safeName.js';

type SeriesRow = Awaited<ReturnType<typeof datasetSeries>>[number];

/** DICOM files in a labels folder (SEG objects exported beside NIfTI maps), recognised by content. */
function dicomFilesIn(dir: string): string[] {
  return listFolder(dir)
    .names.filter((n) => !/\.(nii|nii\.gz|json|csv)$/i.test(n))
    .map((n) => path.join(dir, n))
    .filter((p) => sniffDicom(readPrefix(p, 132)) !== null);
}

/** A DICOM label file (Segmentation or RT Structure Set, by SOP class) with what it references. */
type DicomLabel = ({ kind: 'seg'; seg: Segmentation } | { kind: 'rtstruct'; set: StructureSet }) & { referencedSeries: string | null; referencedSops: Set<string> };

function readDicomLabel(file: string): DicomLabel {
  const parsed = parseDicom(fs.readFileSync(file), file);
  const header = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid);
  const known = (uids: (string | null)[]) => new Set(uids.filter((u): u is string => u !== null));
  if (header.sopClassUid === RT_STRUCTURE_SET_STORAGE) {
    const set = readStructureSet(parsed.dataSet, file);
    return { kind: 'rtstruct', set, referencedSeries: set.referencedSeriesInstanceUid, referencedSops: known(set.rois.flatMap((r) => r.contours.map((c) => c.referencedSopInstanceUid))) };
  }
  const seg = readSegmentation(parsed.dataSet, header, file);
  return { kind: 'seg', seg, referencedSeries: seg.referencedSeriesInstanceUid, referencedSops: known(seg.frames.map((f) => f.referencedSopInstanceUid)) };
}

/** The series a DICOM label references (by SeriesInstanceUID, else by any of its source instances), with its slice index by SOP. */
async function referencedTarget(db: Db, series: SeriesRow[], label: DicomLabel): Promise<{ target: SeriesRow; sliceBySop: Map<string, number> } | null> {
  const bySeries = label.referencedSeries ? series.find((s) => s.seriesInstanceUid === label.referencedSeries) : undefined;
  if (bySeries) return { target: bySeries, sliceBySop: await seriesSliceIndex(db, bySeries.id) };
  for (const s of series) {
    const index = await seriesSliceIndex(db, s.id);
    if ([...label.referencedSops].some((u) => index.has(u))) return { target: s, sliceBySop: index };
  }
  return null;
}

/**
 * Attaches label maps to the dataset's series: NIfTI files from the labels folder (matched by name and
 * mapped through both affines), DICOM SEG objects and RT Structure Sets (matched by their referenced
 * series, else instances; ROI names mapped to classes by RoiClasses).
 * A series takes one label; a second one for it is an error. Records the class map and voxel counts.
 */
export async function ingestLabels(
  db: Db,
  datasetId: string,
  sources: { labelsDir?: string; segPaths: string[] },
  onProgress: ((phase: 'labels', done: number, total: number) => void) | undefined,
  cacheDir: string,
  issues: IssueRecord[],
): Promise<{ matched: number; rejected: number }> {
  const folder = sources.labelsDir ? readLabelsFolder(sources.labelsDir) : { files: [], classSpecs: null, problems: [] };
  const segPaths = [...sources.segPaths, ...(sources.labelsDir ? dicomFilesIn(sources.labelsDir) : [])];
  const series = await datasetSeries(db, datasetId);
  const keys = series.map((s) => ({ seriesInstanceUid: s.seriesInstanceUid, patientId: s.study.patient.patientId, folder: s.folder, row: s }));
  const claimed = new Map<string, string>();
  const observed = new Set<number>();
  const segmentNames: ClassMap = {};
  const total = folder.files.length + segPaths.length;
  let done = 0;
  let matched = 0;
  let rejected = 0;

  const reject = (file: string, reason: string) => {
    issues.push({ severity: 'error', path: file, reason });
    rejected++;
  };
  /** Stores one aligned label volume unless it is unchanged; a second label for a series is rejected. */
  const attach = async (file: string, kind: 'nifti' | 'seg' | 'rtstruct', target: SeriesRow, build: () => { data: Uint8Array; warnings: string[] }): Promise<void> => {
    if (claimed.has(target.id)) return reject(file, `label not matched: series ${target.seriesInstanceUid} already has label ${claimed.get(target.id)}`);
    claimed.set(target.id, file);
    const st = fs.statSync(file);
    const fingerprint = sha1(`${file}|${st.size}|${st.mtimeMs}|${target.fingerprint}`);
    if (target.label && target.label.fingerprint === fingerprint && volumeExists(target.label.volumePath)) {
      for (const v of Object.keys(target.label.voxelCounts)) observed.add(Number(v));
      matched++;
      return;
    }
    try {
      const geometry = target.geometry;
      const { data, warnings } = build();
      for (const w of warnings) issues.push({ severity: 'warning', path: file, reason: w });
      const counts: Record<string, number> = {};
      for (const v of data) counts[v] = (counts[v] ?? 0) + 1;
      for (const v of Object.keys(counts)) observed.add(Number(v));
      if (folder.classSpecs) {
        const unknown = Object.keys(counts).filter((v) => !(v in folder.classSpecs!));
        if (unknown.length) issues.push({ severity: 'warning', path: file, reason: `label values ${unknown.join(', ')} are not in labels.json` });
      }
      const volumePath = writeVolume(path.join(cacheDir, datasetId), cacheName(target.seriesInstanceUid, 'label'), 'label', geometry, data);
      await saveLabel(db, target.id, { sourcePath: file, kind, fingerprint, volumePath, voxelCounts: counts });
      matched++;
    } catch (err) {
      if (!(err instanceof LabelMismatchError || err instanceof NiftiError || err instanceof DicomError)) throw err;
      reject(file, `label rejected for series ${target.seriesInstanceUid}: ${err.message}`);
    }
  };

  for (const p of folder.problems) reject(p.path, p.reason);
  for (const file of folder.files) {
    onProgress?.('labels', ++done, total);
    const match = matchLabel(file, keys);
    if ('error' in match) {
      reject(file.path, `label not matched: ${match.error}`);
      continue;
    }
    const geometry = match.series.row.geometry;
    await attach(file.path, 'nifti', match.series.row, () => ({ data: alignLabelToSeries(readNifti(fs.readFileSync(file.path), file.path), geometry), warnings: [] }));
  }

  if (segPaths.length) await initCodecs();
  const roiClasses = new RoiClasses(folder.classSpecs);
  for (const file of segPaths) {
    onProgress?.('labels', ++done, total);
    let label: DicomLabel;
    try {
      label = readDicomLabel(file);
    } catch (err) {
      if (!(err instanceof DicomError)) throw err;
      reject(file, err.message);
      continue;
    }
    const found = await referencedTarget(db, series, label);
    if (!found) {
      reject(file, `${label.kind === 'seg' ? 'SEG' : 'RTSTRUCT'} not matched: referenced series ${label.referencedSeries ?? '(none)'} and its ${label.referencedSops.size} referenced instance(s) are not in the dataset`);
      continue;
    }
    const { target, sliceBySop } = found;
    const geometry = target.geometry;
    if (label.kind === 'seg') {
      const seg = label.seg;
      for (const s of seg.segments) segmentNames[String(s.number)] = s.label || `segment_${s.number}`;
      await attach(file, 'seg', target, () => segToLabelVolume(seg, geometry, sliceBySop));
    } else {
      const set = label.set;
      await attach(file, 'rtstruct', target, () => {
        const r = structureSetToLabels(set, geometry, (name) => roiClasses.classOf(name));
        const known = roiClasses.known();
        for (const u of r.unmatched) r.warnings.push(`ROI "${u}" matches no class${known.length ? ` of labels.json (${known.join(', ')}; add it as a synonym)` : ''}; left out`);
        return r;
      });
    }
  }
  Object.assign(segmentNames, roiClasses.names());

  const derived: ClassMap = Object.fromEntries([...observed].sort((a, b) => a - b).map((v) => [String(v), v === 0 ? 'background' : (segmentNames[String(v)] ?? `class_${v}`)]));
  await setClassMap(db, datasetId, folder.classSpecs ? classMapOf(folder.classSpecs) : derived, folder.classSpecs);
  return { matched, rejected };
}
