import fs from 'node:fs';
import { BACKEND_ORDER, type BackendChoice } from '../backend/backendChoice.js';
import { loadConfig } from '../config.js';
import type { Db } from '../db/client.js';
import { StudyEndpointSchema, type StudyEndpoint } from '../studies/studyEndpoint.js';
import { STUDY_METRICS } from '../studies/studyMetrics.js';
import { withPreset } from '../train/presets.js';
import { datasetPreset, isPresetChoice, PRESET_CHOICES } from '../train/presetSuggestion.js';

/** A command-line value that cannot be used; printed as one line. */
export class CliOptionError extends Error {
  override name = 'CliOptionError';
}

/** Commander parser for an integer flag, naming the flag when the value is not one. */
export const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliOptionError(`${flag} must be an integer, got "${v}"`);
  return n;
};

/** `--primary CLASS:METRIC` (e.g. lesion:sensitivity): the class name up to the last colon, the metric after it. */
export function endpointFlag(text: string): StudyEndpoint {
  const at = text.lastIndexOf(':');
  const parsed = StudyEndpointSchema.safeParse(at > 0 ? { className: text.slice(0, at), metric: text.slice(at + 1) } : {});
  if (!parsed.success) throw new CliOptionError(`--primary must be CLASS:METRIC with METRIC one of ${STUDY_METRICS.join(', ')}, got "${text}"`);
  return parsed.data;
}

/** --backend, else SEGFUSION_BACKEND, else undefined (the first that loads). */
export function backendOf(flag: string | undefined): BackendChoice | undefined {
  if (flag === undefined) return loadConfig().backend;
  if (!(BACKEND_ORDER as readonly string[]).includes(flag)) throw new CliOptionError(`--backend must be one of ${BACKEND_ORDER.join(', ')}, got "${flag}"`);
  return flag as BackendChoice;
}

/** The --config file's JSON ({} without one); an error names the file. */
export function configFile(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliOptionError(`--config ${file}: ${(err as Error).message}`);
  }
}

/**
 * `config` laid over the preset --preset names for `dataset` ("auto" when not given: as the dataset's
 * labels call for), as train and study create take them; a preset chosen by "auto" is said on stderr,
 * with how to go without it.
 */
export async function withPresetFlag(db: Db, flag: string | undefined, dataset: unknown, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (flag !== undefined && !isPresetChoice(flag)) throw new CliOptionError(`--preset must be one of ${PRESET_CHOICES.join(', ')}, got "${flag}"`);
  const chosen = await datasetPreset(db, flag, typeof dataset === 'string' ? dataset : undefined);
  if (chosen.preset && (flag ?? 'auto') === 'auto') console.error(`Preset ${chosen.preset} (auto: ${chosen.reason}); --preset none trains without it.`);
  return withPreset(chosen.preset ?? undefined, config);
}
