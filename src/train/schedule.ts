export interface ScheduleOptions {
  learningRate: number;
  schedule: 'poly' | 'cosine' | 'constant';
  warmupEpochs: number;
  epochs: number;
  batchesPerEpoch: number;
}

/**
 * Learning rate at a global batch step t of T = epochs x batchesPerEpoch. Warm-up rises linearly from
 * lr/10 to lr over the first W = warmupEpochs x batchesPerEpoch steps (Adam's early steps are noisy
 * with freshly initialised batch-norm statistics); then, with s = (t - W) / (T - W):
 *   poly:     lr (1 - s)^0.9        (nnU-Net, Isensee et al. 2021)
 *   cosine:   lr (1 + cos(pi s)) / 2 (Loshchilov & Hutter 2017, without restarts)
 *   constant: lr
 */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  const total = o.epochs * o.batchesPerEpoch;
  const warmup = Math.min(o.warmupEpochs * o.batchesPerEpoch, total - 1);
  if (step < warmup) return o.learningRate * (0.1 + (0.9 * step) / warmup);
  const s = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  if (o.schedule === 'poly') return o.learningRate * (1 - s) ** 0.9;
  if (o.schedule === 'cosine') return (o.learningRate * (1 + Math.cos(Math.PI * s))) / 2;
  return o.learningRate;
}
