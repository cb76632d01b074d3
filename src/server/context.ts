import type { HealthProbes } from './health.js';
import type { Db } from '../db/client.js';
import type { EventBus } from './eventBus.js';

/** What request handlers may use; built once by startServer. */
export interface ServerContext {
  db: Db;
  events: EventBus;
  runsDir: string;
  ingestRoots: string[];
  token: string | undefined;
  /** Probes behind GET /api/health (readiness). */
  health: HealthProbes;
  /** Host header values the server answers (DNS-rebinding guard). */
  allowedHosts: Set<string>;
}
