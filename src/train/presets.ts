import { deepMerge, isRecord } from '../util/deepMerge.js';
import type { RunConfigInput } from './runConfig.js';

/** A named starting point for a run config: what it sets, and why, measured. */
export interface RunPreset {
  /** One line for the CLI help and the launch and study forms. */
  help: string;
  /** The measurement behind it: a served document and heading, as "loss-fusion#anchor". */
  docs: string;
  /** Run-config fields the preset sets; the rest keep their defaults. No dataset, no targets (their class is the dataset's). */
  config: Omit<RunConfigInput, 'dataset' | 'sensitivityTargets'>;
}

/**
 * The run-config presets: `segfusion train --preset`, `segfusion study create --preset`, and the
 * launch and study forms' "Preset" choice (from GET /api/plugins). A preset sits under what the user
 * gives: a config file, form fields and flags override it field by field.
 */
export const PRESETS = {
  'small-lesions': {
    help: 'lesions of 1-3 voxels: lesion-wise targets calibrated conformally, 3 adjacent slices as input, validation share 0.34, test-time mirroring, 48 epochs with patience 16, validated every second epoch; set a sensitivity target on the lesion class',
    docs: 'loss-fusion#a-recipe-for-small-lesions-25d-test-time-mirroring-a-larger-validation-split-and-the-budget-2026-12-06',
    config: {
      operatingPoint: { basis: 'lesion', conformal: true },
      model: { inputSlices: 3 },
      split: { test: 0.25, validation: 0.34 },
      inference: { mirror: true },
      epochs: 48,
      patience: 16,
      validationInterval: 2,
    },
  },
} satisfies Record<string, RunPreset>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];

/** The run config `config` with preset `name` under it (unchanged without one); the config wins field by field. */
export function withPreset(name: PresetName | undefined, config: Record<string, unknown>): Record<string, unknown> {
  return name === undefined ? config : deepMerge(PRESETS[name].config as Record<string, unknown>, config);
}

/**
 * A request body with its preset laid under its run config (`key`: "config" of POST /api/runs,
 * "baseConfig" of POST /api/studies) before validation, so that the config's errors name the merged
 * fields; a body whose preset is unknown is left as it is, for the schema to reject on `preset`.
 */
export function presetUnder(key: string) {
  return (body: unknown): unknown => {
    if (!isRecord(body) || typeof body.preset !== 'string' || !Object.hasOwn(PRESETS, body.preset)) return body;
    const config = body[key] ?? {};
    return isRecord(config) ? { ...body, [key]: withPreset(body.preset as PresetName, config) } : body;
  };
}
