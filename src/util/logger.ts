import pino from 'pino';
import { ConfigError, loadConfig } from '../config.js';

/**
 * Structured JSON logs on stderr (stdout stays for command output such as --json). Patient names and
 * IDs are only ever logged at debug level or below.
 */
export const logger = pino({ level: configuredLevel(), base: { app: 'segfusion' } }, pino.destination(2));

/**
 * The configured level, or 'warn' when the environment is invalid: this runs at import time, before a
 * command can report the ConfigError itself (in one line, where loadConfig is called again).
 */
function configuredLevel(): string {
  try {
    return loadConfig().logLevel;
  } catch (err) {
    if (err instanceof ConfigError) return 'warn';
    throw err;
  }
}
