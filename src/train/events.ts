/** What a training run reports while it works: the CLI draws bars from these, the dashboard streams them. */
export type TrainingEvent =
  | { type: 'status'; runId: string; status: string; message: string }
  | { type: 'preprocess'; runId: string; done: number; total: number }
  | {
      type: 'batch';
      runId: string;
      epoch: number;
      epochs: number;
      batch: number;
      batchesPerEpoch: number;
      step: number;
      learningRate: number;
      loss: number;
      terms: Record<string, number>;
      weights: Record<string, number>;
      /** [loss][class] factors, for strategies that weight (loss, class) pairs. */
      classWeights?: number[][];
      /** Per class: the batch's voxel sensitivity (null: class absent). */
      sensitivity?: (number | null)[];
      /** Estimated milliseconds to the end of the last epoch, from the mean step time of this attempt. */
      etaMs: number;
    }
  | { type: 'epoch'; runId: string; epoch: number; loss: number; valDice: number | null; best: boolean; valMetrics: Record<string, Record<string, number | null>> }
  | { type: 'evaluate'; runId: string; split: 'calibration' | 'validation' | 'test'; done: number; total: number };
