import cliProgress from 'cli-progress';
import type { WorkerEvent } from '../jobs/worker.js';
import { formatDuration } from '../util/format.js';

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/**
 * Live training display on stderr: one bar over all batches with epoch, batch, loss terms, fusion
 * weights and ETA, and a line per finished epoch above it. Silent when stderr is not a terminal.
 */
export function trainProgress(): { onEvent: (e: WorkerEvent) => void; stop: () => void } {
  const tty = process.stderr.isTTY;
  const multi = new cliProgress.MultiBar(
    { format: 'epoch {epoch} [{bar}] {percentage}% | batch {batchInEpoch} | {terms} | w {weights} | ETA {eta_t}', stream: process.stderr, hideCursor: true, clearOnComplete: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  const log = (line: string) => (tty ? multi.log(`${line}\n`) : process.stderr.write(`${line}\n`));
  return {
    onEvent(e) {
      if (e.type === 'status') log(`[${e.status}] ${e.message}`);
      else if (e.type === 'job') log(`job ${e.jobId} (${e.kind}): ${e.status}`);
      else if (e.type === 'epoch') {
        const perClass = Object.entries(e.valMetrics)
          .map(([c, m]) => `${c} ${m.dice === null || m.dice === undefined ? '-' : fmt(m.dice)}`)
          .join(', ');
        // Between validations (validationInterval) an epoch has a loss and no metrics.
        const validation = perClass ? `validation Dice ${e.valDice === null ? '-' : fmt(e.valDice)} (${perClass})` : 'not validated';
        log(`epoch ${e.epoch + 1}: loss ${fmt(e.loss)}, ${validation}${e.best ? ' *best' : ''}`);
      } else if (e.type === 'batch' && tty) {
        const payload = {
          epoch: `${e.epoch + 1}/${e.epochs}`,
          batchInEpoch: `${e.batch + 1}/${e.batchesPerEpoch}`,
          terms: Object.entries(e.terms)
            .map(([n, v]) => `${n} ${fmt(v)}`)
            .join(' '),
          weights: Object.values(e.weights).map(fmt).join('/'),
          eta_t: formatDuration(e.etaMs),
        };
        const total = e.epochs * e.batchesPerEpoch;
        if (!bar) bar = multi.create(total, e.step, payload);
        else bar.update(e.step, payload);
      }
    },
    stop() {
      multi.stop();
    },
  };
}
