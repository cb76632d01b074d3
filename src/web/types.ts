// Response shapes of the API, taken from the server's own types so both sides change together.
export type { RunListItem, RunReport } from '../train/runReport.js';
export type { DatasetInfo } from '../data/datasetInfo.js';
export type { DatasetDetail } from '../server/services/datasetsService.js';

export interface Curves {
  lossNames: string[];
  epochs: import('../train/runReport.js').RunReport['epochs'];
  batches: import('../db/runs.js').TraceRecord[];
}

export interface CaseInfo {
  runId: string;
  seriesInstanceUid: string;
  patientId: string;
  size: [number, number, number];
  spacing: [number, number, number];
  modality: string;
  hasLabel: boolean;
  hasPrediction: boolean;
  classNames: string[];
  metrics: import('../train/runReport.js').RunReport['cases'];
}

export interface SliceData {
  k: number;
  plane: 'axial' | 'coronal' | 'sagittal';
  width: number;
  height: number;
  /** Pixel spacing [across, down] in mm of this plane's images. */
  spacing: [number, number];
  slices: number;
  image: string;
  label: string | null;
  prediction: string | null;
}
