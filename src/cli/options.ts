import fs from 'node:fs';
import { BACKEND_ORDER, type BackendChoice } from '../backend/backendChoice.js';
import { loadConfig } from '../config.js';
import { withPreset } from '../train/presets.js';

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

/** --backend, else SEGFUSION_BACKEND, else undefined (the first that loads). */
export function backendOf(flag: string | undefined): BackendChoice | undefined {
  if (flag === undefined) return loadConfig().backend;
  if (!(BACKEND_ORDER as readonly string[]).includes(flag)) throw new CliOptionError(`--backend must be one of ${BACKEND_ORDER.join(', ')}, got "${flag}"`);
  return flag as BackendChoice;
}

/** The --config file's JSON (an error names the file) over the --preset (none: {}), as train and study create take them. */
export function configFromFlags(o: { config?: string; preset?: string }): Record<string, unknown> {
  let file: Record<string, unknown> = {};
  if (o.config) {
    try {
      file = JSON.parse(fs.readFileSync(o.config, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CliOptionError(`--config ${o.config}: ${(err as Error).message}`);
    }
  }
  return withPreset(o.preset, file);
}
