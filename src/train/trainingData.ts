import type { DatasetInfo, SeriesInfo } from '../data/datasetInfo.js';
import { preprocessCase, type CaseRef, type PreprocessedCase } from '../data/preprocess.js';
import { datasetFingerprint, planPreprocessing, type PreprocessingPlan } from '../data/preprocessPlan.js';
import { splitPatients, SplitError, type Split } from '../data/split.js';
import { readVolume, readVolumeHeader } from '../data/volumeCache.js';
import type { RunConfig } from './runConfig.js';

export interface SplitCases {
  train: CaseRef[];
  validation: CaseRef[];
  test: CaseRef[];
}

const caseRef = (s: SeriesInfo): CaseRef => ({ seriesInstanceUid: s.seriesInstanceUid, patientId: s.patientId, modality: s.modality, volumePath: s.volumePath, labelPath: s.label?.volumePath ?? null });

/** Labelled series of the dataset: only those can be trained on or evaluated. */
export function labelledSeries(info: DatasetInfo): SeriesInfo[] {
  const labelled = info.series.filter((s) => s.label);
  if (labelled.length === 0) throw new SplitError(`dataset "${info.name}" has no labelled series; ingest label maps with --labels`);
  return labelled;
}

export function drawSplit(info: DatasetInfo, config: RunConfig): Split {
  return splitPatients(
    labelledSeries(info).map((s) => s.patientId),
    { seed: config.seed, ...config.split },
  );
}

export function casesOf(info: DatasetInfo, split: Split): SplitCases {
  const series = labelledSeries(info);
  const pick = (patients: string[]) => series.filter((s) => patients.includes(s.patientId)).map(caseRef);
  return { train: pick(split.train), validation: pick(split.validation), test: pick(split.test) };
}

/** Class names by label value, from the dataset's class map or else the label values seen. */
export function classNamesOf(info: DatasetInfo): string[] {
  const values = [...Object.keys(info.classMap), ...Object.keys(info.classVoxels)].map(Number).filter(Number.isInteger);
  const classes = Math.max(1, ...values) + 1;
  return [...Array(classes).keys()].map((c) => info.classMap[String(c)] ?? (c === 0 ? 'background' : `class ${c}`));
}

/** Plans preprocessing from the training cases (read from the volume cache). */
export function planFor(info: DatasetInfo, cases: SplitCases, config: RunConfig): PreprocessingPlan {
  const inputs = cases.train.map((c) => ({
    modality: c.modality,
    spacing: readVolumeHeader(c.volumePath).geometry.spacing,
    load: () => ({ image: readVolume(c.volumePath).data, label: readVolume(c.labelPath as string).data as Uint8Array }),
  }));
  // Content checksums of every image and label the run uses, whatever the split.
  const fingerprint = datasetFingerprint(
    [...cases.train, ...cases.validation, ...cases.test].map((c) => ({ seriesInstanceUid: c.seriesInstanceUid, image: readVolumeHeader(c.volumePath).sha256, label: c.labelPath ? readVolumeHeader(c.labelPath).sha256 : null })),
  );
  return planPreprocessing(inputs, { classNames: classNamesOf(info), ...config.preprocessing, datasetFingerprint: fingerprint, seed: config.seed });
}

export function preprocessAll(refs: CaseRef[], plan: PreprocessingPlan, cacheDir: string, onProgress?: (done: number, total: number) => void): PreprocessedCase[] {
  return refs.map((r, i) => {
    const c = preprocessCase(r, plan, cacheDir);
    onProgress?.(i + 1, refs.length);
    return c;
  });
}
