import fs from 'node:fs';
import type { Db } from '../db/client.js';
import { datasetClassSpecs, runSeries } from '../db/catalog.js';
import { segmentCodingsFor } from '../data/classSpecs.js';
import { readVolume } from '../data/volumeCache.js';
import { readInstanceHeader } from '../dicom/header.js';
import { parseDicom } from '../dicom/parse.js';
import { writeSegmentation, type SegSource } from '../dicom/segWriter.js';
import { runReport } from '../train/runReport.js';

export class CaseSegmentationError extends Error {
  override name = 'CaseSegmentationError';
}

/**
 * The DICOM SEG of a run's stored prediction for one of its cases (series), as `segfusion predict --seg`
 * writes it: built from the prediction volume and the catalogued source instances (their files must
 * still be where they were ingested from), coded with the dataset's labels.json or the defaults.
 */
export async function caseSegmentation(db: Db, runId: string, seriesUid: string): Promise<{ bytes: Buffer; patientId: string }> {
  const report = await runReport(db, runId);
  const series = await runSeries(db, runId, seriesUid);
  if (!series) throw new CaseSegmentationError(`series ${seriesUid} is not in dataset ${report.dataset}`);
  const prediction = report.artifacts.find((a) => a.kind === 'prediction' && a.name === seriesUid);
  if (!prediction) throw new CaseSegmentationError(`run ${runId} has no stored prediction for series ${seriesUid} (only its validation and test cases have one)`);
  const geometry = series.geometry;
  const placed = series.instances.filter((i) => i.sliceIndex >= 0).sort((a, b) => a.sliceIndex - b.sliceIndex);
  const first = placed.find((i) => fs.existsSync(i.path));
  if (!first) throw new CaseSegmentationError(`the source files of series ${seriesUid} are no longer where they were ingested from; ingest them again to write a SEG`);
  const parsed = parseDicom(fs.readFileSync(first.path), first.path, { untilPixelData: true });
  const sopClassUid = readInstanceHeader(parsed.dataSet, parsed.transferSyntaxUid).sopClassUid;
  // One SOP class per series: the first file's stands for all (a series mixing classes is not one volume).
  const slices: SegSource['slices'] = new Array(geometry.size[2]).fill(null);
  for (const i of placed) slices[i.sliceIndex] ??= { sopClassUid, sopInstanceUid: i.sopInstanceUid };
  const classNames = report.plan?.classNames ?? [];
  const codings = segmentCodingsFor(classNames, await datasetClassSpecs(db, report.dataset));
  const labels = readVolume(prediction.path).data as Uint8Array;
  const bytes = writeSegmentation(
    { dataSet: parsed.dataSet, seriesInstanceUid: seriesUid, slices },
    { labels, geometry, segments: classNames.slice(1).map((label, i) => ({ number: i + 1, label, coding: codings[i] })), algorithm: { name: `SegFusion run ${runId.slice(0, 8)}`, version: report.versions?.segfusion ?? 'unknown' } },
  );
  return { bytes, patientId: series.study.patient.patientId };
}
