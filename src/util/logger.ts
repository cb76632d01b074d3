import pino from 'pino';
import { loadConfig } from '../config.js';

/**
 * Structured JSON logs on stderr (stdout stays for command output such as --json). Patient names and
 * IDs are only ever logged at debug level or below.
 */
export const logger = pino({ level: loadConfig().logLevel, base: { app: 'segfusion' } }, pino.destination(2));
