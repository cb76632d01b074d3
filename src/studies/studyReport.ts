import type { Db } from '../db/client.js';
import { findStudy, studyRuns, type StudyRecord } from '../db/studies.js';
import { type CaseDetectionCurve, poolFrocs, type PooledFroc } from '../metrics/froc.js';
import { pairedCpmDifference } from '../metrics/frocComparison.js';
import { poolDetections, type LesionTotals } from '../metrics/lesionDetection.js';
import { bootstrapMean, wilcoxonSignedRank } from '../metrics/pairedStatistics.js';
import { StudyNotFoundError } from './study.js';
import { adjustByFamily, describeCorrection, isEndpoint } from './studyEndpoint.js';
import { STUDY_METRICS, type StudyMetric } from './studyMetrics.js';

export interface ArmSummary {
  arm: string;
  runs: number;
  completed: number;
  /** Mean training time of its completed runs, ms. */
  meanDurationMs: number | null;
  /** Per class and metric: mean over test cases (all seeds) with a 95 % bootstrap CI. */
  metrics: Record<string, Record<StudyMetric, { mean: number; ci: [number, number]; n: number } | null>>;
  lesions: Record<string, LesionTotals>;
  /** Per target class: the test FROCs of its completed runs pooled (runs from before FROCs were recorded left out). */
  froc: Record<string, PooledFroc>;
  /** Mean fusion weight of each loss per epoch, averaged over seeds (for the overlaid traces). */
  weights: { epoch: number; weights: Record<string, number> }[];
}

/** What a comparison compares: a per-case metric, or the test FROC's CPM (a statistic pooled over cases). */
export type ComparedMetric = StudyMetric | 'cpm';

export interface Comparison {
  arm: string;
  reference: string;
  className: string;
  metric: ComparedMetric;
  /** Pairs (same seed, same test case) with both values defined. */
  n: number;
  /** The mean of the per-case differences; for cpm, the difference of the CPMs pooled over the n cases. */
  meanDifference: number | null;
  ci: [number, number] | null;
  /**
   * Two-sided p, and after Holm's adjustment within its family (studyEndpoint.ts): Wilcoxon signed-rank
   * of the per-case differences; for cpm, the paired permutation test (frocComparison.ts).
   */
  p: number | null;
  pAdjusted: number | null;
  /** Of the study's primary endpoint (its class and metric), named at creation. */
  primary: boolean;
  verdict: string;
}

export interface StudyReport {
  study: StudyRecord;
  status: Record<string, number>;
  arms: ArmSummary[];
  comparisons: Comparison[];
  correction: string;
}

/** Signed, and no "-0.000" for a difference that rounds to zero. */
const f = (v: number, d = 3) => {
  const r = Number(v.toFixed(d));
  return (r >= 0 ? '+' : '') + r.toFixed(d);
};

/** Each class's label value (as an operating point keys it) with its name, from the runs' case metrics. */
const classesOf = (runs: Awaited<ReturnType<typeof studyRuns>>) => new Map(runs.flatMap((r) => r.caseMetrics.map((c) => [String(c.classIndex), c.className] as const)));

/** Per class name: the pooled test FROC of the runs' operating points. */
function armFrocs(runs: Awaited<ReturnType<typeof studyRuns>>): Record<string, PooledFroc> {
  const out: Record<string, PooledFroc> = {};
  for (const [index, name] of classesOf(runs)) {
    const pooled = poolFrocs(runs.flatMap((r) => r.operatingPoint?.[index]?.test?.froc ?? []));
    if (pooled) out[name] = pooled;
  }
  return out;
}

/** Per class and study metric: the arm's test cases against the reference arm's, paired by seed and case (mean difference, bootstrap CI, Wilcoxon p). */
function metricComparisons(runs: Awaited<ReturnType<typeof studyRuns>>, reference: string, arm: string, classes: string[]): Omit<Comparison, 'pAdjusted' | 'primary' | 'verdict'>[] {
  const caseMetricsOf = (name: string) => {
    const m = new Map<string, (typeof runs)[number]['caseMetrics'][number]>();
    for (const r of runs.filter((x) => x.studyArm === name && x.status === 'completed')) for (const c of r.caseMetrics) m.set(`${r.seed}|${c.seriesInstanceUid}|${c.className}`, c);
    return m;
  };
  const ref = caseMetricsOf(reference);
  const mine = caseMetricsOf(arm);
  return classes.flatMap((cls) =>
    STUDY_METRICS.map((metric) => {
      const diffs: number[] = [];
      for (const [key, c] of mine) {
        const r = ref.get(key);
        if (!key.endsWith(`|${cls}`) || !r || c[metric] === null || r[metric] === null) continue;
        diffs.push((c[metric] as number) - (r[metric] as number));
      }
      const w = wilcoxonSignedRank(diffs);
      const b = bootstrapMean(diffs, { seed: 1 });
      return { arm, reference, className: cls, metric, n: diffs.length, meanDifference: b?.mean ?? null, ci: b?.ci ?? null, p: w ? w.p : diffs.length ? 1 : null };
    }),
  );
}

/**
 * Per target class with per-case FROC counts in both arms (runs from 2026-12-07 on): the arm's test CPM
 * against the reference arm's on the same (seed, test case) pairs, pairedCpmDifference.
 */
function cpmComparisons(runs: Awaited<ReturnType<typeof studyRuns>>, reference: string, arm: string): Omit<Comparison, 'pAdjusted' | 'primary' | 'verdict'>[] {
  return [...classesOf(runs)].flatMap(([index, className]) => {
    const curvesOf = (name: string) => {
      const m = new Map<string, CaseDetectionCurve & { grid: number }>();
      for (const r of runs.filter((x) => x.studyArm === name && x.status === 'completed')) {
        const f = r.operatingPoint?.[index]?.test?.froc;
        for (const c of f?.perCase ?? []) m.set(`${r.seed}|${c.id}`, { ...c, grid: f?.curve.length ?? 0 });
      }
      return m;
    };
    const ref = curvesOf(reference);
    const mine = curvesOf(arm);
    const grid = [...ref.values()][0]?.grid;
    const keys = [...mine.keys()].filter((k) => ref.get(k)?.grid === grid && mine.get(k)?.grid === grid);
    if (!keys.length) return [];
    const c = pairedCpmDifference(
      keys.map((k) => ref.get(k) as CaseDetectionCurve),
      keys.map((k) => mine.get(k) as CaseDetectionCurve),
      { thresholds: grid, seed: 1 },
    );
    return c ? [{ arm, reference, className, metric: 'cpm' as const, n: c.n, meanDifference: c.difference, ci: c.ci, p: c.p }] : [];
  });
}

/**
 * The study's report from its runs' test case metrics: per arm and class, means with bootstrap CIs and
 * pooled lesion detection; every arm against the reference arm, paired by seed and test case, with the
 * mean difference, its bootstrap CI, the Wilcoxon signed-rank p and Holm's adjustment (over all
 * comparisons, or within the primary endpoint's family and the secondary one when the study names a
 * primary endpoint); where the runs kept each test case's FROC counts, the test CPM per target class
 * the same way (paired permutation test; never the primary endpoint); a verdict worded from those numbers
 * ("no significant difference" when p_adj >= 0.05).
 */
export async function studyReport(db: Db, id: string): Promise<StudyReport> {
  const study = await findStudy(db, id);
  if (!study) throw new StudyNotFoundError(id);
  const runs = await studyRuns(db, id);
  const status: Record<string, number> = {};
  for (const r of runs) status[r.status] = (status[r.status] ?? 0) + 1;
  const classes = [...new Set(runs.flatMap((r) => r.caseMetrics.map((c) => c.className)))];
  const arms: ArmSummary[] = study.arms.map(({ name }) => {
    const mine = runs.filter((r) => r.studyArm === name);
    const done = mine.filter((r) => r.status === 'completed');
    const cases = done.flatMap((r) => r.caseMetrics);
    const epochs = new Map<number, Record<string, number>[]>();
    for (const r of done) for (const e of r.epochs) epochs.set(e.epoch, [...(epochs.get(e.epoch) ?? []), e.weights]);
    return {
      arm: name,
      runs: mine.length,
      completed: done.length,
      meanDurationMs: done.length ? done.reduce((s, r) => s + r.durationMs, 0) / done.length : null,
      metrics: Object.fromEntries(
        classes.map((cls) => [
          cls,
          Object.fromEntries(
            STUDY_METRICS.map((m) => [
              m,
              bootstrapMean(
                cases.filter((c) => c.className === cls && c[m] !== null).map((c) => c[m] as number),
                { seed: 1 },
              ),
            ]),
          ),
        ]),
      ) as ArmSummary['metrics'],
      lesions: Object.fromEntries(classes.map((cls) => [cls, poolDetections(cases.filter((c) => c.className === cls))])),
      froc: armFrocs(done),
      weights: [...epochs.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, ws]) => ({ epoch, weights: Object.fromEntries(Object.keys(ws[0]).map((k) => [k, ws.reduce((s, w) => s + (w[k] ?? 0), 0) / ws.length])) })),
    };
  });
  const raw = study.arms.filter((a) => a.name !== study.referenceArm).flatMap(({ name }) => [...metricComparisons(runs, study.referenceArm, name, classes), ...cpmComparisons(runs, study.referenceArm, name)]);
  const adjusted = adjustByFamily(raw, study.primaryEndpoint);
  const comparisons: Comparison[] = raw.map((c, i) => {
    const pAdjusted = adjusted[i];
    const primary = isEndpoint(study.primaryEndpoint, c);
    const what = `${primary ? 'primary endpoint: ' : ''}${c.arm} vs ${c.reference} on ${c.className} ${c.metric === 'cpm' ? 'FROC CPM' : c.metric}`;
    const test = c.metric === 'cpm' ? 'Holm; paired permutation test' : 'Holm';
    const verdict =
      c.meanDifference === null || pAdjusted === null || !c.ci
        ? `${what}: no paired cases yet`
        : `${what}: ${f(c.meanDifference)} [${f(c.ci[0])}, ${f(c.ci[1])}], p = ${pAdjusted.toFixed(3)} (${test}), n = ${c.n} cases${pAdjusted < 0.05 ? '' : ': no significant difference'}`;
    return { ...c, pAdjusted, primary, verdict };
  });
  // The question asked in advance leads; the order is otherwise arm, class, metric.
  comparisons.sort((a, b) => Number(b.primary) - Number(a.primary));
  const correction =
    study.arms.length < 2 ? 'none: the study has one arm, so nothing is compared' : adjusted.every((p) => p === null) ? 'none yet: no arm has test cases paired with the reference arm' : describeCorrection(raw, study.primaryEndpoint);
  return { study, status, arms, comparisons, correction };
}
