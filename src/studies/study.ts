import type { Db } from '../db/client.js';
import { recordAudit } from '../db/users.js';
import { attachRunToStudy, createStudyRecord, type StudyArm } from '../db/studies.js';
import type { StudyEndpoint } from './studyEndpoint.js';
import { describeDataset } from '../data/datasetInfo.js';
import { STRATEGY_NAMES } from '../fusion/registry.js';
import { launchRun } from '../jobs/trainingJobs.js';
import { parseRunConfig, RunConfigError } from '../train/runConfig.js';
import { classNamesOf } from '../train/trainingData.js';
import { deepMerge } from '../util/deepMerge.js';

export class StudyError extends Error {
  override name = 'StudyError';
}

export class StudyNotFoundError extends Error {
  override name = 'StudyNotFoundError';
  constructor(id: string) {
    super(`no study ${id}`);
  }
}

/**
 * Arms from the command line: a registered strategy's name is the arm "that strategy with the same
 * losses" (the base's fusion options kept when the base uses that strategy, none otherwise); NAME=JSON
 * is any run-config override.
 */
export function parseArms(specs: string[], base: Record<string, unknown>): StudyArm[] {
  const baseFusion = (base.fusion ?? {}) as { strategy?: string; options?: unknown };
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq > 0) {
      let overrides: unknown;
      try {
        overrides = JSON.parse(spec.slice(eq + 1));
      } catch (err) {
        throw new StudyError(`arm "${spec.slice(0, eq)}": its overrides are not JSON (${(err as Error).message})`);
      }
      if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides)) throw new StudyError(`arm "${spec.slice(0, eq)}": overrides must be a JSON object of run-config fields`);
      return { name: spec.slice(0, eq), overrides: overrides as Record<string, unknown> };
    }
    if (!(STRATEGY_NAMES as string[]).includes(spec)) throw new StudyError(`arm "${spec}" is not a fusion strategy (${STRATEGY_NAMES.join(', ')}); give other arms as NAME='{"run-config": "overrides"}'`);
    return { name: spec, overrides: { fusion: { strategy: spec, options: baseFusion.strategy === spec ? (baseFusion.options ?? {}) : {} } } };
  });
}

/** Run-config sections an arm replaces whole: a strategy's or loss's options belong to it alone. */
const REPLACED = ['fusion', 'losses'];

/**
 * The full config of one arm and seed: the base, the arm's overrides merged in (fusion and losses
 * replaced whole when the arm gives them), then the seed and dataset.
 */
export function armConfig(base: Record<string, unknown>, arm: StudyArm, dataset: string, seed: number): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(base).filter(([k]) => !(REPLACED.includes(k) && k in arm.overrides)));
  return deepMerge(deepMerge(kept, arm.overrides), { dataset, seed });
}

/**
 * Creates a study: every arm x seed config is validated first (nothing is stored when one is wrong,
 * and the error names the arm), then one ordinary training run is queued per arm and seed. Seeds are
 * 1..seeds: arms share each seed's split, initial weights and sampling, so their test cases pair up.
 */
export async function createStudy(
  db: Db,
  o: { name: string; dataset: string; baseConfig: Record<string, unknown>; arms: StudyArm[]; seeds: number; reference?: string; primaryEndpoint?: StudyEndpoint; owner: string; priority?: number; requires?: string[] },
) {
  if (!o.arms.length) throw new StudyError('a study needs at least one arm');
  if (new Set(o.arms.map((a) => a.name)).size !== o.arms.length) throw new StudyError(`arm names must differ: ${o.arms.map((a) => a.name).join(', ')}`);
  if (!Number.isInteger(o.seeds) || o.seeds < 1 || o.seeds > 20) throw new StudyError(`--seeds must be 1 to 20, got ${o.seeds}`);
  const reference = o.reference ?? (o.arms.some((a) => a.name === 'static') ? 'static' : o.arms[0].name);
  if (!o.arms.some((a) => a.name === reference)) throw new StudyError(`reference arm "${reference}" is not one of the arms (${o.arms.map((a) => a.name).join(', ')})`);
  // Throws DatasetNotFoundError for an unknown name.
  const dataset = await describeDataset(db, o.dataset);
  // The names the runs will give the classes (a label value missing from the class map is "class N"),
  // which are the names the study's metrics carry and the dashboard's endpoint select offers.
  const foreground = classNamesOf(dataset).slice(1);
  if (o.primaryEndpoint && !foreground.includes(o.primaryEndpoint.className))
    throw new StudyError(`primary endpoint class "${o.primaryEndpoint.className}" is not a foreground class of dataset "${o.dataset}" (${foreground.join(', ') || 'it has no labels'})`);
  const seeds = [...Array(o.seeds).keys()].map((i) => i + 1);
  for (const arm of o.arms) {
    try {
      parseRunConfig(armConfig(o.baseConfig, arm, o.dataset, 1));
    } catch (err) {
      if (err instanceof RunConfigError) throw new StudyError(`arm "${arm.name}": ${err.message}`);
      throw err;
    }
  }
  const study = await createStudyRecord(db, { name: o.name, datasetId: dataset.id, baseConfig: o.baseConfig, arms: o.arms, seeds: o.seeds, referenceArm: reference, owner: o.owner, primaryEndpoint: o.primaryEndpoint ?? null });
  await recordAudit(db, o.owner, 'study.create', study.id, { name: o.name, dataset: o.dataset, arms: o.arms.map((a) => a.name), seeds: o.seeds, primaryEndpoint: o.primaryEndpoint ?? null });
  const runs: { id: string; arm: string; seed: number }[] = [];
  for (const seed of seeds) {
    for (const arm of o.arms) {
      const { run } = await launchRun(db, armConfig(o.baseConfig, arm, o.dataset, seed), { name: `${o.name}: ${arm.name}, seed ${seed}`, owner: o.owner, priority: o.priority, tags: o.requires });
      await attachRunToStudy(db, run.id, study.id, arm.name);
      runs.push({ id: run.id, arm: arm.name, seed });
    }
  }
  return { study, runs };
}
