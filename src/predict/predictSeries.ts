import fs from 'node:fs';
import path from 'node:path';
import { selectBackend, type BackendChoice } from '../backend/selectBackend.js';
import { segmentCodingsFor } from '../data/classSpecs.js';
import { lpsToRasAffine, voxelToLps, type VolumeGeometry } from '../data/geometry.js';
import { preprocessImage } from '../data/preprocess.js';
import { buildVolume } from '../data/volume.js';
import { initCodecsFor } from '../dicom/codecs.js';
import { DicomError, describeThrown } from '../dicom/errors.js';
import { parseDicom } from '../dicom/parse.js';
import { planSeries, type InstanceRef, type SeriesPlan } from '../dicom/series.js';
import { writeSegmentation } from '../dicom/segWriter.js';
import { readExportManifest, type ExportManifest } from '../export/exportManifest.js';
import { readHeader } from '../ingest/readHeader.js';
import { scanFiles } from '../ingest/scan.js';
import { faintRulesOf, thresholdsOf } from '../train/operatingPoint.js';
import { loadModel } from '../model/modelIo.js';
import { segmentVolume } from '../model/segmentVolume.js';
import { writeNifti } from '../nifti/nifti.js';

export interface PredictOptions {
  modelDir: string;
  /** A folder (or files) holding the DICOM series to segment. */
  input: string;
  /** Label map output: .nii or .nii.gz. */
  out: string;
  /** Optional DICOM SEG output. */
  seg?: string;
  /** Which series, when the input holds several. */
  seriesInstanceUid?: string;
  /** TF.js backend to force (default: the first that loads). */
  backend?: BackendChoice;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface PredictResult {
  seriesInstanceUid: string;
  geometry: VolumeGeometry;
  /** Voxels and millilitres per class name (background left out). */
  classes: Record<string, { voxels: number; ml: number }>;
  out: string;
  seg: string | null;
  /** Files of the input that were not usable DICOM images, with why. */
  skipped: { path: string; reason: string }[];
  backend: string;
}

export class PredictError extends Error {
  override name = 'PredictError';
}

function chooseSeries(plans: SeriesPlan[], uid: string | undefined, input: string): SeriesPlan {
  const images = plans.filter((p) => p.modality !== 'SEG');
  if (uid) {
    const match = images.find((p) => p.seriesInstanceUid === uid);
    if (!match) throw new PredictError(`series ${uid} is not in ${input}; it holds ${images.map((p) => p.seriesInstanceUid).join(', ') || 'no image series'}`);
    return match;
  }
  if (images.length === 0) throw new PredictError(`no DICOM image series found in ${input}`);
  if (images.length > 1) throw new PredictError(`${input} holds ${images.length} series; choose one with --series (${images.map((p) => `${p.seriesInstanceUid} (${p.slices.length} slices)`).join(', ')})`);
  return images[0];
}

/**
 * Applies an exported model to a DICOM series: build the volume (modality LUT, geometry), resample and
 * normalise as the model's plan says, segment slice by slice, resample the class probabilities back to
 * the series' grid, and write the label map as NIfTI with the series' affine (RAS, as dcm2niix) and,
 * optionally, as a DICOM SEG that references the source instances.
 */
export async function predictSeries(o: PredictOptions): Promise<PredictResult> {
  const manifest: ExportManifest = readExportManifest(o.modelDir);
  if (!/\.nii(\.gz)?$/.test(o.out)) throw new PredictError(`--out must end in .nii or .nii.gz, got "${o.out}"`);
  const { files, problems } = scanFiles([o.input]);
  const instances: InstanceRef[] = [];
  const skipped: { path: string; reason: string }[] = [...problems];
  files.forEach((f, i) => {
    try {
      instances.push({ path: f.path, header: readHeader(f.path, f.size) });
    } catch (err) {
      skipped.push({ path: f.path, reason: describeThrown(err) });
    }
    o.onProgress?.('read', i + 1, files.length);
  });
  const { plans } = planSeries(instances, (p) => path.dirname(p));
  const plan = chooseSeries(plans, o.seriesInstanceUid, o.input);
  if (manifest.preprocessing.modality !== plan.modality) skipped.push({ path: o.input, reason: `warning: the model was trained on ${manifest.preprocessing.modality}, this series is ${plan.modality}` });
  await initCodecsFor(plan.instances.map((i) => i.header.transferSyntaxUid));
  const built = buildVolume(plan);
  if (built.failures.length) throw new DicomError(`cannot decode ${built.failures.length} slice(s) of the series: ${built.failures[0].path}: ${built.failures[0].reason}`, 'decode-failed');
  const geometry = plan.geometry;
  const prepared = preprocessImage(built.data, geometry, manifest.preprocessing);
  const backend = await selectBackend(o.backend);
  const model = await loadModel(o.modelDir);
  const labels = segmentVolume(model, prepared.image, prepared.geometry.size, {
    inputSlices: manifest.inputSlices,
    classes: manifest.classes.length,
    multiple: manifest.sizeMultiple,
    mirror: manifest.mirror,
    outputSize: [geometry.size[0], geometry.size[1]],
    thresholds: thresholdsOf(manifest.operatingPoint),
    faintLesions: faintRulesOf(manifest.operatingPoint),
    onProgress: (d, t) => o.onProgress?.('segment', d, t),
  });
  model.dispose();
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, writeNifti({ dims: geometry.size, affine: lpsToRasAffine(voxelToLps(geometry)), data: labels }, o.out.endsWith('.gz')));
  if (o.seg) {
    const first = fs.readFileSync(plan.instances[0].path);
    const dataSet = parseDicom(first, plan.instances[0].path, { untilPixelData: true }).dataSet;
    const slices: ({ sopClassUid: string; sopInstanceUid: string } | null)[] = new Array(geometry.size[2]).fill(null);
    for (const s of plan.slices) {
      const inst = plan.instances.find((i) => i.header.sopInstanceUid === s.sopInstanceUid);
      if (inst && !slices[s.index]) slices[s.index] = { sopClassUid: inst.header.sopClassUid, sopInstanceUid: s.sopInstanceUid };
    }
    const codings = manifest.segmentCodings ?? segmentCodingsFor(manifest.classes, null);
    const segments = manifest.classes.slice(1).map((label, i) => ({ number: i + 1, label, coding: codings[i] }));
    fs.mkdirSync(path.dirname(path.resolve(o.seg)), { recursive: true });
    fs.writeFileSync(
      o.seg,
      writeSegmentation({ dataSet, seriesInstanceUid: plan.seriesInstanceUid, slices }, { labels, geometry, segments, algorithm: { name: `SegFusion run ${manifest.runId.slice(0, 8)}`, version: manifest.versions.segfusion ?? 'unknown' } }),
    );
  }
  const voxelMl = (geometry.spacing[0] * geometry.spacing[1] * geometry.spacing[2]) / 1000;
  const counts = new Array<number>(manifest.classes.length).fill(0);
  for (const v of labels) counts[v]++;
  const classes = Object.fromEntries(manifest.classes.slice(1).map((name, i) => [name, { voxels: counts[i + 1], ml: Number((counts[i + 1] * voxelMl).toFixed(3)) }]));
  return { seriesInstanceUid: plan.seriesInstanceUid, geometry, classes, out: path.resolve(o.out), seg: o.seg ? path.resolve(o.seg) : null, skipped, backend: backend.choice };
}
