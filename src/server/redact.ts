import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What API answers may show of patients and of the server's file system. Patient identifiers (often
 * medical record numbers) become stable pseudonyms when `pseudonymize` is on; server paths never leave
 * the server: a path inside an ingest root is shown relative to it ("demo/dicom/SYN001/IM0001"), any
 * other absolute path by its file name alone, in values and inside messages alike.
 */
export interface Redactor {
  readonly pseudonymize: boolean;
  /** The pseudonym of a PatientID ("P-" and 10 hex digits of its keyed hash), or the ID itself when off. */
  patient(id: string): string;
  /** A JSON-able value with every patient identifier and server path replaced. */
  value<T>(v: T): T;
}

/** Keys whose values are PatientIDs, wherever they appear in an answer. */
const PATIENT_KEYS = new Set(['patientId', 'patientIds', 'patients']);
const SPLIT_KEYS = new Set(['train', 'validation', 'test']);

/** The key an array element is read under: its array's, when that is a patient key. */
const elementKey = (key: string | null): string | null => (key && PATIENT_KEYS.has(key) ? key : null);

/** The key a member `k` of object `v` (itself under `key`) is read under: a run's split lists patients under train/validation/test. */
const memberKey = (key: string | null, v: object, k: string): string => (key === 'split' && Array.isArray((v as { train?: unknown }).train) && SPLIT_KEYS.has(k) ? 'patients' : k);

/**
 * The secret behind the pseudonyms: created once per data folder (mode 0600), so a pseudonym is stable
 * across restarts and cannot be inverted without the folder.
 */
export function pseudonymKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'pseudonym.key');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    const key = crypto.randomBytes(32);
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    return key;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createRedactor(o: {
  pseudonymize: boolean;
  key: Buffer;
  roots: string[];
  /** PatientIDs of the catalogue, replaced wherever they appear (folder names of a job's paths, say). */
  knownIds?: () => Iterable<string>;
}): Redactor {
  const cache = new Map<string, string>();
  const patient = (id: string): string => {
    if (!o.pseudonymize || id === '') return id;
    let p = cache.get(id);
    if (!p) {
      p = `P-${crypto.createHmac('sha256', o.key).update(id).digest('hex').slice(0, 10)}`;
      cache.set(id, p);
    }
    return p;
  };
  // Longest root first, so a nested root wins; both the given and the resolved spelling of each.
  const roots = [...new Set(o.roots.flatMap((r) => [path.resolve(r), safeRealpath(r)]))].sort((a, b) => b.length - a.length);
  const rootRe = roots.length ? new RegExp(`(${roots.map(escapeRe).join('|')})/`, 'g') : null;
  // Any other absolute path: its folders are dropped, its last component kept.
  // API paths ("/api/runs/...") are the client's own URLs, not the server's files.
  const otherPath = /(^|[\s("'=])\/(?!api\/)(?:[^\s/:'"(),]+\/)+([^\s/:'"(),]*)/g;
  const text = (s: string): string => (rootRe ? s.replace(rootRe, '') : s).replace(otherPath, '$1$2');
  const walk = (v: unknown, key: string | null, ids: RegExp | null): unknown => {
    if (typeof v === 'string') return key && PATIENT_KEYS.has(key) ? patient(v) : ids ? text(v).replace(ids, patient) : text(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, elementKey(key), ids));
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, memberKey(key, v, k), ids)]));
    }
    return v;
  };
  /** Every PatientID an answer names under a patient key, so the same IDs inside folder names are replaced too. */
  const collect = (v: unknown, key: string | null, into: Set<string>): void => {
    if (typeof v === 'string' && key && PATIENT_KEYS.has(key) && v.length >= 3) into.add(v);
    else if (Array.isArray(v)) for (const x of v) collect(x, elementKey(key), into);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) collect(x, memberKey(key, v, k), into);
    }
  };
  const value = <T>(v: T): T => {
    if (!o.pseudonymize) return walk(v, null, null) as T;
    const ids = new Set<string>([...(o.knownIds?.() ?? [])].filter((id) => id.length >= 3));
    collect(v, null, ids);
    const idRe = ids.size
      ? new RegExp(
          [...ids]
            .sort((a, b) => b.length - a.length)
            .map(escapeRe)
            .join('|'),
          'g',
        )
      : null;
    return walk(v, null, idRe) as T;
  };
  return { pseudonymize: o.pseudonymize, patient, value };
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
