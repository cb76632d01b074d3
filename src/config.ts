import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { BACKEND_ORDER, type BackendChoice } from './backend/backendChoice.js';
import { parseDicomWebUrl, type DicomWebAuth } from './dicomweb/dicomwebClient.js';
import { installPlainMessages } from './util/zodMessages.js';

// Every process reads its configuration first: from here on zod's messages are plain words.
installPlainMessages();

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  SEGFUSION_DATA_DIR: z.string().min(1).optional(),
  SEGFUSION_STORAGE: z.string().min(1).optional(),
  SEGFUSION_WORKER_LEASE_S: z.coerce.number().int().min(5).max(3600).optional(),
  SEGFUSION_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SEGFUSION_BACKEND: z.enum(BACKEND_ORDER).optional(),
  SEGFUSION_THREADS: z.coerce.number().int().min(1).max(8).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SEGFUSION_TOKEN: z.string().min(16, 'SEGFUSION_TOKEN must have at least 16 characters').optional(),
  SEGFUSION_INGEST_ROOTS: z.string().min(1).optional(),
  SEGFUSION_ALLOWED_HOSTS: z.string().optional(),
  SEGFUSION_PSEUDONYMIZE: z.enum(['auto', 'on', 'off']).optional(),
  SEGFUSION_NATIVE_STRICT: z.enum(['0', '1']).optional(),
  SEGFUSION_DICOMWEB_USER: z.string().min(1).optional(),
  SEGFUSION_DICOMWEB_PASSWORD: z.string().optional(),
  SEGFUSION_DICOMWEB_TOKEN: z.string().min(1).optional(),
  SEGFUSION_DICOMWEB_SERVERS: z.string().optional(),
  SEGFUSION_DICOM_AET: z
    .string()
    .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'SEGFUSION_DICOM_AET must be 1-16 printable characters without "\\"')
    .optional(),
});

/** A setting with a wrong value: one line naming the variable and the reason, never a ZodError dump. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface AppConfig {
  /** Prisma-style URL of the catalogue database, e.g. file:./data/segfusion.db */
  databaseUrl: string;
  /** Root for the database file (by default) and this host's own files (pseudonym key). */
  dataDir: string;
  /**
   * Root of what every worker must see: volume cache, run folders (checkpoints, predictions, exports),
   * PACS mirror. SEGFUSION_STORAGE (a shared filesystem in a lab) or, by default, the data dir.
   */
  storageDir: string;
  /** Where decoded volumes and label maps are cached (STORAGE/cache). */
  cacheDir: string;
  /** Per-run folders: checkpoints, predictions and exports (STORAGE/runs). */
  runsDir: string;
  /** A worker that has not reported for this long is lost and its job goes to another (SEGFUSION_WORKER_LEASE_S, default 60 s). */
  workerLeaseMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Forces one TF.js backend instead of the first that loads (BACKEND_ORDER: tensorflow-gpu, wasm-native, tensorflow, wasm, cpu). */
  backend: BackendChoice | undefined;
  /** Threads of the wasm backend and of oneDNN's OpenMP pool under wasm-native (1-8; default: the machine's cores, at most 8). */
  threads: number;
  /** Dashboard port (default 8080). */
  port: number;
  /** Bearer token the API requires when the server listens beyond 127.0.0.1. */
  token: string | undefined;
  /** Folders the dashboard may ingest from (path-delimited list; default ./datasets). */
  ingestRoots: string[];
  /** Host names the server answers besides loopback and its listen address (comma-separated). */
  allowedHosts: string[];
  /**
   * Patient identifiers in API answers: 'on' shows a stable pseudonym, 'off' the PatientID, 'auto' (the
   * default) pseudonyms whenever the server listens beyond loopback.
   */
  pseudonymize: 'auto' | 'on' | 'off';
  /** wasm-native: a case oneDNN refuses is an error instead of falling back to the wasm kernel (SEGFUSION_NATIVE_STRICT=1; for tests and kernel work). */
  nativeStrict: boolean;
  /** PACS access: DICOMweb credentials sent to every server, the servers the dashboard offers, SegFusion's AE title. */
  pacs: {
    /** Basic (SEGFUSION_DICOMWEB_USER + _PASSWORD) or bearer (SEGFUSION_DICOMWEB_TOKEN); never logged or shown. */
    auth: DicomWebAuth | undefined;
    /** name -> address, from SEGFUSION_DICOMWEB_SERVERS="name=dicomweb://host/path,..."; the dashboard reaches only these. */
    servers: Record<string, string>;
    /** Local copies of pulled instances (resumable pulls): STORAGE/pacs. */
    mirrorDir: string;
    /** Calling AE title for C-STORE (SEGFUSION_DICOM_AET, default SEGFUSION). */
    callingAe: string;
  };
}

let cached: AppConfig | undefined;

/** Parses the environment once; the only module that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (cached && env === process.env) return cached;
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const parsed = result.data;
  const dataDir = path.resolve(parsed.SEGFUSION_DATA_DIR ?? 'data');
  const storageDir = path.resolve(parsed.SEGFUSION_STORAGE ?? dataDir);
  const config: AppConfig = {
    databaseUrl: parsed.DATABASE_URL ?? `file:${path.join(dataDir, 'segfusion.db')}`,
    dataDir,
    storageDir,
    cacheDir: path.join(storageDir, 'cache'),
    runsDir: path.join(storageDir, 'runs'),
    workerLeaseMs: (parsed.SEGFUSION_WORKER_LEASE_S ?? 60) * 1000,
    logLevel: parsed.SEGFUSION_LOG_LEVEL ?? 'warn',
    backend: parsed.SEGFUSION_BACKEND,
    threads: parsed.SEGFUSION_THREADS ?? Math.min(8, os.availableParallelism()),
    port: parsed.PORT ?? 8080,
    token: parsed.SEGFUSION_TOKEN,
    ingestRoots: (parsed.SEGFUSION_INGEST_ROOTS ?? 'datasets')
      .split(path.delimiter)
      .filter(Boolean)
      .map((r) => path.resolve(r)),
    allowedHosts: (parsed.SEGFUSION_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    pseudonymize: parsed.SEGFUSION_PSEUDONYMIZE ?? 'auto',
    nativeStrict: parsed.SEGFUSION_NATIVE_STRICT === '1',
    pacs: { auth: dicomwebAuth(parsed), servers: dicomwebServers(parsed.SEGFUSION_DICOMWEB_SERVERS ?? ''), mirrorDir: path.join(storageDir, 'pacs'), callingAe: parsed.SEGFUSION_DICOM_AET ?? 'SEGFUSION' },
  };
  if (env === process.env) cached = config;
  return config;
}

function dicomwebAuth(p: z.infer<typeof EnvSchema>): DicomWebAuth | undefined {
  if (p.SEGFUSION_DICOMWEB_TOKEN && p.SEGFUSION_DICOMWEB_USER) throw new ConfigError('set SEGFUSION_DICOMWEB_TOKEN (bearer) or SEGFUSION_DICOMWEB_USER/PASSWORD (basic), not both');
  if (p.SEGFUSION_DICOMWEB_TOKEN) return { kind: 'bearer', token: p.SEGFUSION_DICOMWEB_TOKEN };
  if (p.SEGFUSION_DICOMWEB_USER) return { kind: 'basic', username: p.SEGFUSION_DICOMWEB_USER, password: p.SEGFUSION_DICOMWEB_PASSWORD ?? '' };
  if (p.SEGFUSION_DICOMWEB_PASSWORD !== undefined) throw new ConfigError('SEGFUSION_DICOMWEB_PASSWORD is set without SEGFUSION_DICOMWEB_USER');
  return undefined;
}

function dicomwebServers(list: string): Record<string, string> {
  const servers: Record<string, string> = {};
  for (const entry of list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    if (eq < 1 || !/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw new ConfigError(`SEGFUSION_DICOMWEB_SERVERS: "${entry}" must be NAME=dicomweb://HOST/PATH (NAME: letters, digits, _ or -)`);
    try {
      parseDicomWebUrl(entry.slice(eq + 1).trim());
    } catch (err) {
      throw new ConfigError(`SEGFUSION_DICOMWEB_SERVERS: ${name}: ${(err as Error).message}`);
    }
    servers[name] = entry.slice(eq + 1).trim();
  }
  return servers;
}

/** File path of a `file:` SQLite URL, resolved against the working directory. */
export function sqlitePath(databaseUrl: string): string {
  if (!databaseUrl.startsWith('file:')) {
    throw new ConfigError(`DATABASE_URL must be a SQLite file: URL (file:./data/segfusion.db) or a PostgreSQL one (postgresql://USER@HOST:5432/DB), got "${databaseUrl}"`);
  }
  return path.resolve(databaseUrl.slice('file:'.length));
}
