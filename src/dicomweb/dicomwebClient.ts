import { quoteValue, uidProblem } from '../dicom/uid.js';
import { boundaryOf, buildMultipart, MultipartError, parseMultipart } from './multipart.js';

/** Credentials for a DICOMweb server; they go into the Authorization header and nowhere else. */
export type DicomWebAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

/** An attribute of a DICOM JSON object (PS3.18 F.2). */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export class DicomWebError extends Error {
  override name = 'DicomWebError';
}

/** A server's base URL: dicomweb:// (http) or dicomwebs:// (https), or plain http(s)://. */
export interface DicomWebServer {
  /** http(s) URL of the DICOMweb root, without a trailing slash. */
  base: string;
  /** host and path, for messages and progress. */
  label: string;
}

/**
 * Parses a server address. Credentials in the URL are refused: they would end up in job records, logs
 * and shell history; they come from the configuration (SEGFUSION_DICOMWEB_USER/PASSWORD or _TOKEN).
 */
export function parseDicomWebUrl(value: string): DicomWebServer {
  let url: URL;
  try {
    url = new URL(value.replace(/^dicomweb:/i, 'http:').replace(/^dicomwebs:/i, 'https:'));
  } catch {
    throw new DicomWebError(`${quoteValue(value)} is not a DICOMweb address; expected dicomweb://HOST[:PORT]/PATH (or dicomwebs:// for https)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DicomWebError(`${quoteValue(value)}: a DICOMweb address starts with dicomweb://, dicomwebs://, http:// or https://`);
  if (url.username || url.password) throw new DicomWebError('credentials in a DICOMweb address are refused (they would be logged); set SEGFUSION_DICOMWEB_USER and SEGFUSION_DICOMWEB_PASSWORD, or SEGFUSION_DICOMWEB_TOKEN');
  if (url.search || url.hash) throw new DicomWebError(`${quoteValue(value)}: give the query with --query, not in the address`);
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return { base, label: `${url.host}${url.pathname.replace(/\/+$/, '')}` };
}

/** The string values of `tag` in a DICOM JSON object. */
export function jsonStrings(obj: DicomJson, tag: string): string[] {
  return (obj[tag]?.Value ?? []).map((v) => (typeof v === 'object' && v !== null && 'Alphabetic' in v ? String((v as { Alphabetic: unknown }).Alphabetic) : String(v)));
}

/** A UID from a server's answer, checked before it goes into a URL or anywhere else. */
export function answerUid(obj: DicomJson, tag: string, what: string): string {
  const uid = jsonStrings(obj, tag)[0] ?? '';
  const problem = uidProblem(uid);
  if (problem) throw new DicomWebError(`the server answered a ${what} ${quoteValue(uid)} that ${problem}`);
  return uid;
}

export interface DicomWebLimits {
  /** Largest single response accepted (bytes): one instance of a retrieve, or a search answer. */
  maxResponseBytes: number;
  /** Results asked for per search request (QIDO limit/offset paging). */
  pageSize: number;
  /** Most matches one search may return in all (a server that pages forever cannot exhaust memory). */
  maxResults: number;
  timeoutMs: number;
}

export const DEFAULT_LIMITS: DicomWebLimits = { maxResponseBytes: 2 ** 30, pageSize: 500, maxResults: 100_000, timeoutMs: 120_000 };

/**
 * A small DICOMweb client on Node's fetch: QIDO-RS search (paged), WADO-RS retrieve of one instance
 * (multipart/related, any transfer syntax the server offers) and STOW-RS store. Written here rather
 * than taken from dicomweb-client (OHIF's), which is built on the browser's XMLHttpRequest.
 */
export class DicomWebClient {
  constructor(
    readonly server: DicomWebServer,
    private readonly auth: DicomWebAuth | undefined,
    private readonly limits: DicomWebLimits = DEFAULT_LIMITS,
  ) {}

  private headers(extra: Record<string, string>): Record<string, string> {
    if (!this.auth) return extra;
    const value = this.auth.kind === 'basic' ? `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}` : `Bearer ${this.auth.token}`;
    return { ...extra, Authorization: value };
  }

  private async request(method: string, path: string, o: { accept: string; body?: Buffer; contentType?: string }): Promise<{ status: number; contentType: string; body: Buffer }> {
    const url = `${this.server.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers({ Accept: o.accept, ...(o.contentType ? { 'Content-Type': o.contentType } : {}) }),
        body: o.body ? new Uint8Array(o.body) : undefined,
        signal: AbortSignal.timeout(this.limits.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new DicomWebError(`${method} ${this.server.label}${path}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.limits.maxResponseBytes) {
      await res.body?.cancel();
      throw new DicomWebError(`${method} ${this.server.label}${path}: the answer is ${declared} bytes, above the limit of ${this.limits.maxResponseBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > this.limits.maxResponseBytes) {
          await res.body.cancel().catch(() => undefined);
          throw new DicomWebError(`${method} ${this.server.label}${path}: the answer exceeds the limit of ${this.limits.maxResponseBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    const body = Buffer.concat(chunks);
    if (res.status === 401 || res.status === 403)
      throw new DicomWebError(`${method} ${this.server.label}${path}: ${res.status} ${res.statusText}: the server refused the credentials (SEGFUSION_DICOMWEB_USER/PASSWORD or SEGFUSION_DICOMWEB_TOKEN)`);
    if (res.status >= 400) throw new DicomWebError(`${method} ${this.server.label}${path}: ${res.status} ${res.statusText}${body.length ? `: ${body.toString('utf8', 0, 200).trim()}` : ''}`);
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
  }

  /** QIDO-RS: every match of `path` (e.g. /studies/UID/series) with `query`, fetched page by page. */
  async search(path: string, query: URLSearchParams = new URLSearchParams()): Promise<DicomJson[]> {
    const out: DicomJson[] = [];
    for (let offset = 0; ; offset += this.limits.pageSize) {
      const q = new URLSearchParams(query);
      q.set('limit', String(this.limits.pageSize));
      q.set('offset', String(offset));
      const res = await this.request('GET', `${path}?${q}`, { accept: 'application/dicom+json' });
      if (res.status === 204 || res.body.length === 0) break;
      let page: unknown;
      try {
        page = JSON.parse(res.body.toString('utf8'));
      } catch {
        throw new DicomWebError(`GET ${this.server.label}${path}: the answer is not DICOM JSON (Content-Type ${res.contentType})`);
      }
      if (!Array.isArray(page)) throw new DicomWebError(`GET ${this.server.label}${path}: expected a JSON array of matches`);
      out.push(...(page as DicomJson[]));
      if (out.length > this.limits.maxResults) throw new DicomWebError(`GET ${this.server.label}${path}: more than ${this.limits.maxResults} matches; narrow the query`);
      if (page.length < this.limits.pageSize) break;
    }
    return out;
  }

  /** WADO-RS: one instance as a Part 10 file, in whatever transfer syntax the server keeps it. */
  async retrieveInstance(study: string, series: string, sop: string): Promise<Buffer> {
    const path = `/studies/${study}/series/${series}/instances/${sop}`;
    const res = await this.request('GET', path, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    let parts: ReturnType<typeof parseMultipart>;
    try {
      parts = parseMultipart(res.body, boundaryOf(res.contentType));
    } catch (err) {
      if (err instanceof MultipartError) throw new DicomWebError(`GET ${this.server.label}${path}: ${err.message}`);
      throw err;
    }
    if (parts.length !== 1) throw new DicomWebError(`GET ${this.server.label}${path}: expected one instance, the answer holds ${parts.length} parts`);
    return parts[0].body;
  }

  /**
   * STOW-RS: stores Part 10 files. Returns the SOP Instance UIDs the server lists as failed, with the
   * failure reason (0008,1197) when it gives one; throws when the server refuses the request itself.
   */
  async store(files: Buffer[]): Promise<{ failed: { sopInstanceUid: string; reason: string }[] }> {
    const { body, contentType } = buildMultipart(files);
    const res = await this.request('POST', '/studies', { accept: 'application/dicom+json', body, contentType });
    if (res.body.length === 0) return { failed: [] };
    let answer: DicomJson;
    try {
      answer = JSON.parse(res.body.toString('utf8')) as DicomJson;
    } catch {
      return { failed: [] };
    }
    const failed = ((answer['00081198']?.Value ?? []) as DicomJson[]).map((f) => ({ sopInstanceUid: jsonStrings(f, '00081155')[0] ?? '', reason: `failure reason ${jsonStrings(f, '00081197')[0] ?? 'not given'}` }));
    return { failed };
  }
}
