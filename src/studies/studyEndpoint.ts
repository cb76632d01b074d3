import { z } from 'zod';
import { holmAdjust } from '../metrics/pairedStatistics.js';
import { STUDY_METRICS } from './studyMetrics.js';

/**
 * A study's primary endpoint: the one class and metric its question is about, named when the study is
 * created (before any run has a result), as a trial registers its primary outcome. It is tested in a
 * family of its own, so a question asked in advance is not diluted by the twenty that were not.
 */
export const StudyEndpointSchema = z.strictObject({ className: z.string().min(1).max(100), metric: z.enum(STUDY_METRICS) });
export type StudyEndpoint = z.infer<typeof StudyEndpointSchema>;

/** Whether a comparison is of the endpoint's class and metric. */
export const isEndpoint = (e: StudyEndpoint | null, c: { className: string; metric: string }) => e !== null && c.className === e.className && c.metric === e.metric;

/**
 * Multiplicity by family. Without a primary endpoint every comparison is one family, Holm-Bonferroni
 * over all of them (arms x classes x metrics). With one, the endpoint's comparisons (one per arm
 * against the reference) are a family of their own, Holm over those alone, and the rest a secondary
 * family, Holm over the rest: each family keeps its familywise error at 0.05 (Holm 1979). The order
 * of `p` is kept; a null p (no pairs yet) stays null and counts in neither family.
 */
export function adjustByFamily(comparisons: readonly { className: string; metric: string; p: number | null }[], primary: StudyEndpoint | null) {
  const adjusted: (number | null)[] = comparisons.map(() => null);
  // Without an endpoint no comparison is of it: the first family is empty and the second holds them all.
  for (const family of [true, false]) {
    const members = comparisons.flatMap((c, i) => (c.p !== null && isEndpoint(primary, c) === family ? [i] : []));
    const ps = holmAdjust(members.map((i) => comparisons[i].p as number));
    members.forEach((i, k) => {
      adjusted[i] = ps[k];
    });
  }
  return adjusted;
}

/** The correction as the report states it, with each family's size. */
export function describeCorrection(comparisons: readonly { className: string; metric: string; p: number | null }[], primary: StudyEndpoint | null): string {
  const tested = comparisons.filter((c) => c.p !== null);
  if (!primary) return `Holm-Bonferroni over all ${tested.length} comparisons (arms x classes x metrics)`;
  const main = tested.filter((c) => isEndpoint(primary, c)).length;
  return `primary endpoint ${primary.className} ${primary.metric} (named at creation): Holm-Bonferroni over its ${main} comparison${main === 1 ? '' : 's'}; the other ${tested.length - main} are secondary, Holm-Bonferroni over them`;
}
