/**
 * npm run fusion:diagnosis -- RUN [RUN...]: per epoch of each run, what the loss-fusion diagnosis in
 * docs/loss-fusion.md reads: for every foreground class the mean batch sensitivity of the arg-max on
 * the training patches (batches holding the class), the range of each (loss, class) factor the strategy
 * applied, and the validation Dice, sensitivity and calibrated threshold the epoch was judged at.
 * Reads the catalogue of DATABASE_URL; prints JSON.
 */
import { withDb } from '../src/cli/withDb.js';
import { runTraces } from '../src/db/runs.js';
import { runReport } from '../src/train/runReport.js';

const ids = process.argv.slice(2);
if (!ids.length) {
  console.error('usage: npm run fusion:diagnosis -- RUN [RUN...]');
  process.exit(2);
}
const round = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? null : Number(v.toFixed(d)));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

const out = await withDb(async (db) =>
  Promise.all(
    ids.map(async (id) => {
      const report = await runReport(db, id);
      const traces = await runTraces(db, id);
      const lossNames = (report.config.losses as { name: string }[]).map((l) => l.name);
      const classNames = (report.plan?.classNames as string[] | undefined) ?? [];
      const epochs = report.epochs.map((e) => {
        const batches = traces.filter((t) => t.epoch === e.epoch);
        const perClass = Object.fromEntries(
          classNames.slice(1).map((name, k) => {
            const c = k + 1;
            const seen = batches.map((t) => t.sensitivity?.[c]).filter((v): v is number => typeof v === 'number');
            const factors = Object.fromEntries(
              lossNames.flatMap((loss, i) => {
                const values = batches.map((t) => t.classWeights?.[i]?.[c]).filter((v): v is number => typeof v === 'number');
                return values.length && values.some((v) => v !== 1) ? [[loss, [round(Math.min(...values), 2), round(Math.max(...values), 2)]]] : [];
              }),
            );
            const val = e.valMetrics[name] ?? {};
            return [name, { batchSensitivity: round(mean(seen)), batchesWithClass: seen.length, factors, validation: { dice: round(val.dice), sensitivity: round(val.sensitivity), threshold: val.threshold ?? null } }];
          }),
        );
        return { epoch: e.epoch, weights: Object.fromEntries(Object.entries(e.weights).map(([k, v]) => [k, round(v)])), ...perClass };
      });
      return { run: id, strategy: report.strategy, seed: report.seed, bestEpoch: report.bestEpoch, epochs };
    }),
  ),
);
console.log(JSON.stringify(out, null, 2));
