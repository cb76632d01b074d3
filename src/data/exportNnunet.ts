import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeNifti } from '../nifti/nifti.js';
import type { DatasetInfo } from './datasetInfo.js';
import { lpsToRasAffine, voxelToLps } from './geometry.js';
import { readVolume } from './volumeCache.js';

/** nnU-Net v2 dataset.json, as its planner reads it. */
export const NnunetDatasetJsonSchema = z.object({
  channel_names: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.number().int()),
  numTraining: z.number().int(),
  file_ending: z.literal('.nii.gz'),
  name: z.string(),
  description: z.string(),
});

export interface NnunetExportResult {
  out: string;
  training: string[];
  test: string[];
}

/** Case ids are PatientIDs made file-safe, suffixed _1, _2, ... when a patient has several series. */
export function caseIds(series: { patientId: string; seriesInstanceUid: string }[]): Map<string, string> {
  const byPatient = new Map<string, string[]>();
  for (const s of series) byPatient.set(s.patientId, [...(byPatient.get(s.patientId) ?? []), s.seriesInstanceUid]);
  const ids = new Map<string, string>();
  for (const [patient, uids] of byPatient) {
    const safe = (patient || 'anonymous').replace(/[^A-Za-z0-9-]+/g, '-');
    uids.sort().forEach((uid, i) => ids.set(uid, uids.length > 1 ? `${safe}_${i + 1}` : safe));
  }
  return ids;
}

/**
 * Writes a dataset in nnU-Net v2 raw layout: imagesTr/CASE_0000.nii.gz (modality-LUT values, HU for CT),
 * labelsTr/CASE.nii.gz, unlabelled series under imagesTs, and dataset.json. Affines are the DICOM
 * geometry in RAS, the convention dcm2niix and nibabel use.
 */
export function exportNnunet(info: DatasetInfo, out: string, onCase?: (done: number, total: number) => void): NnunetExportResult {
  const root = path.resolve(out);
  for (const d of ['imagesTr', 'labelsTr', 'imagesTs']) fs.mkdirSync(path.join(root, d), { recursive: true });
  const ids = caseIds(info.series);
  const training: string[] = [];
  const test: string[] = [];
  info.series.forEach((s, i) => {
    const id = ids.get(s.seriesInstanceUid)!;
    const image = readVolume(s.volumePath);
    const affine = lpsToRasAffine(voxelToLps(image.header.geometry));
    const dims = image.header.geometry.size;
    if (s.label) {
      const label = readVolume(s.label.volumePath);
      fs.writeFileSync(path.join(root, 'imagesTr', `${id}_0000.nii.gz`), writeNifti({ dims, affine, data: image.data }, true));
      fs.writeFileSync(path.join(root, 'labelsTr', `${id}.nii.gz`), writeNifti({ dims, affine, data: label.data }, true));
      training.push(id);
    } else {
      fs.writeFileSync(path.join(root, 'imagesTs', `${id}_0000.nii.gz`), writeNifti({ dims, affine, data: image.data }, true));
      test.push(id);
    }
    onCase?.(i + 1, info.series.length);
  });
  const modalities = [...new Set(info.series.map((s) => s.modality))];
  const labels = Object.fromEntries(Object.entries(info.classMap).map(([v, name]) => [name, Number(v)]));
  if (!('background' in labels)) labels.background = 0;
  const datasetJson = NnunetDatasetJsonSchema.parse({
    channel_names: { '0': modalities.length === 1 ? modalities[0] : modalities.join('/') },
    labels,
    numTraining: training.length,
    file_ending: '.nii.gz',
    name: info.name,
    description: `Exported by SegFusion from dataset "${info.name}"`,
  });
  fs.writeFileSync(path.join(root, 'dataset.json'), `${JSON.stringify(datasetJson, null, 2)}\n`);
  return { out: root, training, test };
}
