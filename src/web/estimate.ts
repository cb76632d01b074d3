/** What an estimate needs of a finished run (RunListItem's fields). */
export interface PastRun {
  id: string;
  name: string | null;
  status: string;
  durationMs: number;
  epochsDone: number;
  config: Record<string, unknown>;
}

export interface PlannedRun {
  epochs: number;
  batchesPerEpoch: number;
  batchSize: number;
  patchSize: number;
  model: { depth?: number; baseFilters?: number };
}

interface Shape {
  batches: number;
  /** Voxels per batch, times the model's relative cost (a U-Net's work grows with the square of its base filters). */
  work: number;
  model: string;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

function shapeOf(c: { batchSize: number; patchSize: number; model: { depth?: number; baseFilters?: number } }): Omit<Shape, 'batches'> {
  const filters = num(c.model.baseFilters, 16);
  return { work: c.batchSize * c.patchSize ** 2 * filters ** 2, model: `${num(c.model.depth, 3)}x${filters}` };
}

/**
 * Run time of a planned run, from the completed runs of this server: the time per batch of the most
 * similar one (same U-Net depth and width if any, else the most recent), scaled by voxels per batch and
 * the square of the base filters. Validation and test evaluation ride along in the per-batch time, so
 * the estimate is for a run with a similar share of them. Null without a completed run to go by.
 */
export function estimateRunTime(planned: PlannedRun, past: PastRun[]): { ms: number; basis: PastRun; msPerBatch: number } | null {
  const target = shapeOf(planned);
  const done = past
    .filter((r) => r.status === 'completed' && r.durationMs > 0 && r.epochsDone > 0)
    .map((r) => {
      const sampling = (r.config.sampling ?? {}) as Record<string, unknown>;
      const s = shapeOf({ batchSize: num(sampling.batchSize, 8), patchSize: num(sampling.patchSize, 64), model: (r.config.model ?? {}) as PlannedRun['model'] });
      return { r, s, batches: r.epochsDone * num(r.config.batchesPerEpoch, 25) };
    });
  if (!done.length) return null;
  const basis = done.find((d) => d.s.model === target.model) ?? done[0];
  const msPerBatch = (basis.r.durationMs / basis.batches) * (target.work / basis.s.work);
  return { ms: msPerBatch * planned.epochs * planned.batchesPerEpoch, basis: basis.r, msPerBatch };
}
