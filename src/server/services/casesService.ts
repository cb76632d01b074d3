import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { FileSlices } from '../../data/volumeSlices.js';
import { overlayOptions, slicePng, type PngOptions } from '../../figures/slicePng.js';
import { runReport } from '../../train/runReport.js';
import { RunNotFoundError } from '../../train/trainer.js';
import { notFound } from '../httpErrors.js';

export const SliceParamsSchema = z.object({ id: z.string().min(1), series: z.string().min(1), k: z.coerce.number().int().min(0) });

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * Where a case's image, ground truth and the run's prediction live (all on the series' own grid): three
 * indexed lookups, since the viewer asks for every slice it shows.
 */
async function caseVolumes(db: Db, runId: string, seriesUid: string) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { datasetId: true, dataset: { select: { name: true } } } });
  if (!run) throw new RunNotFoundError(runId);
  const series = await db.series.findFirst({ where: { seriesInstanceUid: seriesUid, datasetId: run.datasetId }, include: { label: true, study: { include: { patient: true } } } });
  if (!series) throw notFound(`series ${seriesUid} is not in dataset ${run.dataset.name}`);
  const prediction = await db.artifact.findUnique({ where: { runId_kind_name: { runId, kind: 'prediction', name: seriesUid } }, select: { path: true } });
  return { series, imagePath: series.volumePath, labelPath: series.label?.volumePath ?? null, predictionPath: prediction?.path ?? null };
}

/** A case of a run: its geometry, per-class metrics, and whether ground truth and prediction exist. */
export async function caseInfo(db: Db, runId: string, seriesUid: string) {
  const v = await caseVolumes(db, runId, seriesUid);
  const report = await runReport(db, runId);
  const image = new FileSlices(v.imagePath, 1);
  return {
    runId,
    seriesInstanceUid: seriesUid,
    patientId: v.series.study.patient.patientId,
    size: image.geometry.size,
    spacing: image.geometry.spacing,
    modality: v.series.modality,
    hasLabel: v.labelPath !== null,
    hasPrediction: v.predictionPath !== null,
    classNames: (report.plan?.classNames as string[] | undefined) ?? [],
    metrics: report.cases.filter((c) => c.seriesInstanceUid === seriesUid),
  };
}

/**
 * One slice for the case viewer: modality-LUT values (HU for CT) as float32, ground truth and prediction
 * as uint8, base64-encoded; the browser applies window/level and overlays on a canvas.
 */
export async function caseSlice(db: Db, runId: string, seriesUid: string, k: number) {
  const v = await caseVolumes(db, runId, seriesUid);
  const image = new FileSlices(v.imagePath, 1);
  const [width, height, slices] = image.geometry.size;
  if (k >= slices) throw new z.ZodError([{ code: 'custom', path: ['k'], message: `slice ${k} is outside 0..${slices - 1}`, input: k }]);
  const values = Float32Array.from(image.slice(k));
  return {
    k,
    width,
    height,
    slices,
    image: b64(values),
    label: v.labelPath ? b64(new FileSlices<Uint8Array>(v.labelPath, 1).slice(k)) : null,
    prediction: v.predictionPath ? b64(new FileSlices<Uint8Array>(v.predictionPath, 1).slice(k)) : null,
  };
}

/** Slices (0-based) holding each foreground class, in a label volume read one slice at a time. */
function classSlices(labelPath: string): Record<string, number[]> {
  const slices = new FileSlices<Uint8Array>(labelPath, 1);
  const out: Record<string, number[]> = {};
  for (let k = 0; k < slices.geometry.size[2]; k++) {
    const seen = new Set<number>();
    for (const v of slices.slice(k)) if (v) seen.add(v);
    for (const c of seen) {
      out[String(c)] ??= [];
      out[String(c)].push(k);
    }
  }
  return out;
}

/**
 * Where each class occurs in a case, for the viewer's next/previous navigation: per class, the slices
 * where the ground truth has it and where the prediction has it.
 */
export async function caseIndex(db: Db, runId: string, seriesUid: string) {
  const v = await caseVolumes(db, runId, seriesUid);
  return { truth: v.labelPath ? classSlices(v.labelPath) : {}, prediction: v.predictionPath ? classSlices(v.predictionPath) : {} };
}

/** One slice of a case as PNG (sharp): the viewer's rendering with the given mode, window and layers. */
export async function caseSlicePngImage(db: Db, runId: string, seriesUid: string, k: number, options: PngOptions): Promise<Buffer> {
  const v = await caseVolumes(db, runId, seriesUid);
  const image = new FileSlices(v.imagePath, 1);
  const [width, height, slices] = image.geometry.size;
  if (k >= slices) throw new z.ZodError([{ code: 'custom', path: ['k'], message: `slice ${k} is outside 0..${slices - 1}`, input: k }]);
  const report = await runReport(db, runId);
  const classCount = ((report.plan?.classNames as string[] | undefined) ?? []).length;
  const pixels = {
    width,
    height,
    image: image.slice(k),
    label: v.labelPath ? new FileSlices<Uint8Array>(v.labelPath, 1).slice(k) : null,
    prediction: v.predictionPath ? new FileSlices<Uint8Array>(v.predictionPath, 1).slice(k) : null,
  };
  return slicePng(pixels, overlayOptions(options, classCount), options.scale, [image.geometry.spacing[0], image.geometry.spacing[1]]);
}
