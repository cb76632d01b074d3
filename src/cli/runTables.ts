import { describeOperatingPoint } from '../train/operatingPoint.js';
import type { RunListItem, RunReport } from '../train/runReport.js';
import { formatDuration as duration } from '../util/format.js';
import { table } from './tables.js';

const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : v.toFixed(digits));

export function formatRunList(runs: RunListItem[]): string {
  if (runs.length === 0) return 'No runs yet (start one with: segfusion train --dataset NAME)';
  return table(
    ['run', 'dataset', 'status', 'strategy', 'owner', 'epochs', 'best val Dice', 'duration', 'created'],
    runs.map((r) => [r.id, r.dataset, r.status, r.strategy, r.owner ?? '-', `${r.epochsDone}/${r.totalEpochs}`, r.bestDice === null ? '-' : `${num(r.bestDice)} (epoch ${(r.bestEpoch ?? -1) + 1})`, duration(r.durationMs), r.createdAt]),
  );
}

/** Run header, per-class test table (mean ± std, median over cases) and per-case test rows. */
export function formatRunReport(r: RunReport): string {
  const lines = [
    `Run ${r.id}${r.name ? ` (${r.name})` : ''}: ${r.status} on dataset ${r.dataset}, ${r.strategy} fusion, seed ${r.seed}${r.owner ? `, launched by ${r.owner}` : ''}`,
    `Epochs ${r.epochsDone}/${r.totalEpochs}, best validation Dice ${num(r.bestDice)} at epoch ${r.bestEpoch === null ? '-' : r.bestEpoch + 1}, training time ${duration(r.durationMs)}${r.backend ? `, backend ${String(r.backend.choice)}` : ''}${r.worker ? `, worker ${r.worker}` : ''}`,
  ];
  if (r.error) lines.push(`Error: ${r.error}`);
  if (r.test) {
    const cell = (a: { mean: number | null; std: number | null; median: number | null }, d = 3) => (a.mean === null ? '-' : `${num(a.mean, d)} ± ${num(a.std, d)} (median ${num(a.median, d)})`);
    lines.push(
      'Test split, per class (mean ± std over cases):',
      table(
        ['class', 'Dice', 'sensitivity', 'specificity', 'precision', 'HD95 (mm)', 'ASSD (mm)'],
        Object.entries(r.test).map(([cls, m]) => [cls, cell(m.dice), cell(m.sensitivity), cell(m.specificity, 4), cell(m.precision), cell(m.hd95, 1), cell(m.assd, 2)]),
      ),
    );
    if (r.operatingPoint) lines.push('Operating point (thresholds calibrated on validation for the sensitivity targets):', ...describeOperatingPoint(r.operatingPoint, r.plan?.classNames ?? []).map((l) => `  ${l}`));
    const lesions = r.lesions.test;
    if (lesions) {
      lines.push(
        'Test split, lesion-wise detection per class (26-connected components; a lesion is found when any of its voxels is predicted):',
        table(
          ['class', 'lesions', 'found', 'missed', 'false-positive components', 'detection sensitivity', 'detection F1'],
          Object.entries(lesions).map(([cls, t]) => [cls, t.lesions, t.lesionsFound, t.lesionsMissed, t.falsePositiveComponents, num(t.detectionSensitivity), num(t.detectionF1)]),
        ),
      );
    }
    const cases = r.cases.filter((c) => c.split === 'test');
    if (cases.length) {
      lines.push(
        'Test split, per case:',
        table(
          ['patient', 'class', 'Dice', 'sensitivity', 'precision', 'HD95 (mm)', 'GT voxels', 'predicted', 'lesions found', 'FP components'],
          cases.map((c) => [c.patientId, c.className, num(c.dice), num(c.sensitivity), num(c.precision), num(c.hd95, 1), c.groundTruthVoxels, c.predictedVoxels, `${c.lesionsFound}/${c.lesions}`, c.falsePositiveComponents]),
        ),
      );
    }
  }
  return lines.join('\n');
}
