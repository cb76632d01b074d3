import { z } from 'zod';
import { runCaseFiles } from '../../db/catalog.js';
import type { Db } from '../../db/client.js';
import { FileSlices, planeLayout, readPlane, type Plane } from '../../data/volumeSlices.js';
import { readVolume, readVolumeHeader } from '../../data/volumeCache.js';
import { detectionComponents } from '../../metrics/lesionDetection.js';
import { overlayOptions, slicePng, type PngOptions } from '../../figures/slicePng.js';
import { runReport } from '../../train/runReport.js';
import { RunNotFoundError } from '../../train/trainer.js';
import { notFound } from '../httpErrors.js';

export const SliceParamsSchema = z.object({ id: z.string().min(1), series: z.string().min(1), k: z.coerce.number().int().min(0) });

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** A case of a run: 404 for a run or a series (of the run's dataset) that does not exist. */
async function caseVolumes(db: Db, runId: string, seriesUid: string) {
  const found = await runCaseFiles(db, runId, seriesUid);
  if (!found) throw new RunNotFoundError(runId);
  if (!found.series) throw notFound(`series ${seriesUid} is not in dataset ${found.dataset}`);
  return found.series;
}

/** A case of a run: its geometry, per-class metrics, and whether ground truth and prediction exist. */
export async function caseInfo(db: Db, runId: string, seriesUid: string) {
  const v = await caseVolumes(db, runId, seriesUid);
  const report = await runReport(db, runId);
  const image = new FileSlices(v.imagePath, 1);
  return {
    runId,
    seriesInstanceUid: seriesUid,
    patientId: v.patientId,
    size: image.geometry.size,
    spacing: image.geometry.spacing,
    modality: v.modality,
    hasLabel: v.labelPath !== null,
    hasPrediction: v.predictionPath !== null,
    classNames: report.plan?.classNames ?? [],
    metrics: report.cases.filter((c) => c.seriesInstanceUid === seriesUid),
  };
}

export const PlaneSchema = z.object({ plane: z.enum(['axial', 'coronal', 'sagittal']).default('axial') });

/** The pixels of slice k of a case in one plane: image, truth and prediction, read with positional reads. */
async function casePlane(db: Db, runId: string, seriesUid: string, k: number, plane: Plane) {
  const v = await caseVolumes(db, runId, seriesUid);
  const layout = planeLayout(readVolumeHeader(v.imagePath).geometry, plane);
  if (k >= layout.count) throw new z.ZodError([{ code: 'custom', path: ['k'], message: `${plane} slice ${k} is outside 0..${layout.count - 1}`, input: k }]);
  return {
    layout,
    image: readPlane(v.imagePath, plane, k),
    label: v.labelPath ? readPlane<Uint8Array>(v.labelPath, plane, k) : null,
    prediction: v.predictionPath ? readPlane<Uint8Array>(v.predictionPath, plane, k) : null,
  };
}

/**
 * One slice for the case viewer, in the axial, coronal or sagittal plane: modality-LUT values (HU for
 * CT) as float32, ground truth and prediction as uint8, base64-encoded, with the plane's pixel spacing
 * (the browser draws it at the true aspect ratio and applies window/level and overlays).
 */
export async function caseSlice(db: Db, runId: string, seriesUid: string, k: number, plane: Plane = 'axial') {
  const s = await casePlane(db, runId, seriesUid, k, plane);
  return {
    k,
    plane,
    width: s.layout.width,
    height: s.layout.height,
    slices: s.layout.count,
    spacing: s.layout.spacing,
    image: b64(Float32Array.from(s.image)),
    label: s.label ? b64(s.label) : null,
    prediction: s.prediction ? b64(s.prediction) : null,
  };
}

/** Voxels of each foreground class per slice (0-based), in a label volume read one slice at a time. */
function classAreas(labelPath: string): Map<number, number>[] {
  const slices = new FileSlices<Uint8Array>(labelPath, 1);
  return Array.from({ length: slices.geometry.size[2] }, (_, k) => {
    const counts = new Map<number, number>();
    for (const v of slices.slice(k)) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  });
}

/** Slices (0-based) holding each foreground class. */
function classSlices(labelPath: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  classAreas(labelPath).forEach((counts, k) => {
    for (const c of counts.keys()) {
      out[String(c)] ??= [];
      out[String(c)].push(k);
    }
  });
  return out;
}

/**
 * Where each class occurs in a case, for the viewer's next/previous navigation: per class, the slices
 * where the ground truth has it and where the prediction has it, and its missed lesions and
 * false-positive components (located by slice range and centroid).
 */
const slicesOf = (v: { labelPath: string | null; predictionPath: string | null }) => ({ truth: v.labelPath ? classSlices(v.labelPath) : {}, prediction: v.predictionPath ? classSlices(v.predictionPath) : {} });

/** Per class, the slices holding it in the ground truth and in the prediction. */
export async function caseClassSlices(db: Db, runId: string, seriesUid: string) {
  return slicesOf(await caseVolumes(db, runId, seriesUid));
}

export async function caseIndex(db: Db, runId: string, seriesUid: string) {
  const v = await caseVolumes(db, runId, seriesUid);
  // Missed lesions and false-positive components per class (lesion-wise evaluation's rule), located.
  const components: Record<string, ReturnType<typeof detectionComponents>> = {};
  if (v.labelPath && v.predictionPath) {
    const truth = readVolume(v.labelPath).data as Uint8Array;
    const prediction = readVolume(v.predictionPath).data as Uint8Array;
    const size = readVolumeHeader(v.labelPath).geometry.size;
    const classes = new Set<number>();
    for (let i = 0; i < truth.length; i++) {
      if (truth[i]) classes.add(truth[i]);
      if (prediction[i]) classes.add(prediction[i]);
    }
    for (const c of classes) components[String(c)] = detectionComponents(truth, prediction, c, size);
  }
  return { ...slicesOf(v), components };
}

/** One slice of a case as PNG (sharp): the viewer's rendering with the given plane, mode, window and layers. */
/**
 * The options of a report's picture of one class: an axial slice, that class alone in agreement overlay
 * (true positive yellow, false positive red, false negative blue), window 40/400.
 */
export const classPicture = (classIndex: number, scale: number): PngOptions => ({ plane: 'axial', mode: 'agreement', window: [40, 400], classes: String(classIndex), truth: '1', prediction: '1', opacity: 0.6, scale });

export async function caseSlicePngImage(db: Db, runId: string, seriesUid: string, k: number, options: PngOptions): Promise<Buffer> {
  const s = await casePlane(db, runId, seriesUid, k, options.plane);
  return slicePng({ width: s.layout.width, height: s.layout.height, image: s.image, label: s.label, prediction: s.prediction }, overlayOptions(options), options.scale, s.layout.spacing);
}

/**
 * A small picture of a case for tables: the axial slice where class `cls` is largest in the ground
 * truth (else in the prediction, else the middle slice), in agreement mode at scale 1.
 */
export async function caseThumbnail(db: Db, runId: string, seriesUid: string, cls: number): Promise<Buffer> {
  const v = await caseVolumes(db, runId, seriesUid);
  const area = (path: string | null) => {
    if (!path) return null;
    let best: number | null = null;
    let most = 0;
    classAreas(path).forEach((counts, k) => {
      const n = counts.get(cls) ?? 0;
      if (n > most) [best, most] = [k, n];
    });
    return best;
  };
  const k = area(v.labelPath) ?? area(v.predictionPath) ?? Math.floor(readVolumeHeader(v.imagePath).geometry.size[2] / 2);
  return caseSlicePngImage(db, runId, seriesUid, k, { ...classPicture(cls, 1), ...(v.labelPath && v.predictionPath ? {} : { mode: 'filled' as const }) });
}
