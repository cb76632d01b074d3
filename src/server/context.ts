import type { HealthProbes } from './health.js';
import type { Redactor } from './redact.js';
import type { Db } from '../db/client.js';
import type { EventBus } from './eventBus.js';
import type { PacsConfig } from './services/pacsService.js';

/** What request handlers may use; built once by startServer. */
export interface ServerContext {
  db: Db;
  events: EventBus;
  runsDir: string;
  /** How long a job worker may go without a heartbeat before it counts as lost. */
  workerLeaseMs: number;
  ingestRoots: string[];
  token: string | undefined;
  /** Probes behind GET /api/health (readiness). */
  health: HealthProbes;
  /** Applied to every answer: patient pseudonyms, no server paths. */
  redact: Redactor;
  /** Host header values the server answers (DNS-rebinding guard). */
  allowedHosts: Set<string>;
  /** PACS the dashboard may pull from and push to (configured names only), with their credentials. */
  pacs: PacsConfig;
}
