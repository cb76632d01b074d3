/** The metrics a study compares (per test case and class), higher better except the distance. */
export const STUDY_METRICS = ['dice', 'sensitivity', 'precision', 'hd95', 'detectionSensitivity'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];
