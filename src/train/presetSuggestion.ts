import type { Db } from '../db/client.js';
import { datasetSeries, findDataset } from '../db/catalog.js';
import { isRecord } from '../util/deepMerge.js';
import { percentile } from '../metrics/segmentationMetrics.js';
import { PRESET_NAMES, type PresetName } from './presets.js';

/**
 * What `preset` may say on a launch: a preset's name, "none" (the schema's defaults), or "auto" (the
 * preset the dataset's labels call for, or none; what an omitted preset means).
 */
export const PRESET_CHOICES = ['auto', 'none', ...PRESET_NAMES] as const;
export type PresetChoice = (typeof PRESET_CHOICES)[number];

/**
 * A foreground class is small when the median, over the labelled cases that hold it, of its voxel
 * count per case is at most this. Measured with `segfusion dataset show` on the demo generator's
 * cohorts: the easy demo's lesions (3.5-6 mm at 1.2-1.5 mm pixels) have a median of 124-192 voxels per
 * case (12 patients, seeds 1, 2), the hard cohorts' (3-7 mm at 2.4-3.2 mm pixels) 24-42 (16-40
 * patients, seeds 1, 777, 2026, 4242, 9001). There the small-lesions preset raised lesion Dice from
 * 0.35-0.36 to 0.50-0.55 over 3 seeds (docs/loss-fusion.md, "A recipe for small lesions" and
 * "Validating every second epoch"). A class of at most 100 voxels per case, in 1-3 objects, is 1-3
 * voxels across: where 2.5D input and test-time mirroring pay.
 */
export const SMALL_CLASS_MEDIAN_VOXELS = 100;

/** A foreground class's size over a dataset's labelled cases. */
export interface ClassSize {
  /** Label value, as in the class map ("2"). */
  value: string;
  name: string;
  /** Labelled cases with at least one voxel of the class. */
  cases: number;
  /** Median voxel count per case over those cases (null when no case holds the class). */
  medianVoxels: number | null;
}

/** What the class sizes are read from: the class map and each series' label voxel counts (null: unlabelled). */
export interface LabelCounts {
  classMap: Record<string, string>;
  series: { label: { voxelCounts: Record<string, number> } | null }[];
}

/** Each foreground class of the class map (label value > 0) with its per-case voxel counts summarised. */
export function classSizes(info: LabelCounts): ClassSize[] {
  const values = new Set(Object.keys(info.classMap));
  for (const s of info.series) for (const v of Object.keys(s.label?.voxelCounts ?? {})) values.add(v);
  return [...values]
    .filter((v) => Number(v) > 0)
    .sort((a, b) => Number(a) - Number(b))
    .map((value) => {
      const counts = info.series.map((s) => s.label?.voxelCounts[value] ?? 0).filter((n) => n > 0);
      return { value, name: info.classMap[value] ?? `class ${value}`, cases: counts.length, medianVoxels: counts.length ? percentile(counts, 50) : null };
    });
}

/** The preset a launch gets, and why in one sentence (printed by the CLI, returned by the API). */
export interface PresetSuggestion {
  preset: PresetName | null;
  reason: string;
}

/**
 * "auto": the small-lesions preset when some foreground class is small (see SMALL_CLASS_MEDIAN_VOXELS),
 * else none. A dataset without labelled cases gets none (training will refuse it with its own error).
 */
export function suggestPreset(sizes: ClassSize[]): PresetSuggestion {
  const small = sizes.filter((c) => c.medianVoxels !== null && c.medianVoxels <= SMALL_CLASS_MEDIAN_VOXELS);
  const describe = (c: ClassSize) => `class ${c.value} "${c.name}" has a median of ${c.medianVoxels} voxels per case (${c.cases} cases)`;
  if (small.length > 0) return { preset: 'small-lesions', reason: `${small.map(describe).join('; ')}: at most ${SMALL_CLASS_MEDIAN_VOXELS}` };
  const present = sizes.filter((c) => c.medianVoxels !== null);
  if (present.length === 0) return { preset: null, reason: 'no labelled case holds a foreground class' };
  const smallest = present.reduce((a, b) => ((b.medianVoxels as number) < (a.medianVoxels as number) ? b : a));
  return { preset: null, reason: `no class is small: the smallest, ${describe(smallest)}, is over ${SMALL_CLASS_MEDIAN_VOXELS}` };
}

/** The preset that `choice` names for a dataset: "auto" (or none given) asks the dataset's labels (`dataset`: null when there is none to ask). */
export async function resolvePreset(choice: PresetChoice | undefined, dataset: () => Promise<LabelCounts | null>): Promise<PresetSuggestion> {
  if (choice === 'none') return { preset: null, reason: 'preset "none" asked for' };
  if (choice !== undefined && choice !== 'auto') return { preset: choice, reason: `preset "${choice}" asked for` };
  const info = await dataset();
  if (!info) return { preset: null, reason: 'no dataset to look at' };
  return suggestPreset(classSizes(info));
}

export const isPresetChoice = (v: unknown): v is PresetChoice => typeof v === 'string' && (PRESET_CHOICES as readonly string[]).includes(v);

/** resolvePreset on dataset `name` of the catalogue, reading only its class map and label counts (an unknown or missing name gets no preset: the config's validation names it). */
export function datasetPreset(db: Db, choice: PresetChoice | undefined, name: string | undefined): Promise<PresetSuggestion> {
  return resolvePreset(choice, async () => {
    const ds = name ? await findDataset(db, name) : null;
    return ds && { classMap: ds.classMap, series: await datasetSeries(db, ds.id) };
  });
}

/**
 * A launch request's body (POST /api/runs, POST /api/studies) with its preset resolved to a name or
 * "none", for the request schema to lay under the config before validating it; a preset that is not a
 * choice is left for the schema to reject on `preset`. `dataset` reads the dataset's name from the body.
 */
export async function withResolvedPreset(db: Db, body: unknown, dataset: (body: Record<string, unknown>) => unknown): Promise<{ body: unknown; preset: PresetSuggestion | null }> {
  if (!isRecord(body) || (body.preset !== undefined && !isPresetChoice(body.preset))) return { body, preset: null };
  const name = dataset(body);
  const preset = await datasetPreset(db, body.preset, typeof name === 'string' ? name : undefined);
  return { body: { ...body, preset: preset.preset ?? 'none' }, preset };
}
