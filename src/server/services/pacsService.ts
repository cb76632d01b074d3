import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { recordAudit } from '../../db/users.js';
import type { Principal } from '../../users/roles.js';
import { DicomWebClient, parseDicomWebUrl, type DicomWebAuth } from '../../dicomweb/dicomwebClient.js';
import { queueIngest } from '../../jobs/ingestJobs.js';
import { caseSegmentation } from '../../predict/caseSegmentation.js';
import { HttpError, notFound } from '../httpErrors.js';
import { IngestRequestSchema } from './datasetsService.js';

/** The PACS the dashboard may reach: only servers named in SEGFUSION_DICOMWEB_SERVERS (no free URLs: that would let the API fetch anything). */
export interface PacsConfig {
  servers: Record<string, string>;
  auth: DicomWebAuth | undefined;
}

export function listPacs(pacs: PacsConfig) {
  return { servers: Object.entries(pacs.servers).map(([name, url]) => ({ name, address: parseDicomWebUrl(url).label })) };
}

function serverUrl(pacs: PacsConfig, name: string): string {
  const url = pacs.servers[name];
  if (!url) throw new z.ZodError([{ code: 'custom', path: ['server'], message: `no PACS named "${name}"; configured: ${Object.keys(pacs.servers).join(', ') || 'none (set SEGFUSION_DICOMWEB_SERVERS)'}`, input: name }]);
  return url;
}

export const PacsIngestRequestSchema = z
  .strictObject({
    dataset: IngestRequestSchema.shape.dataset,
    server: z.string().min(1).max(40),
    study: z
      .string()
      .regex(/^[0-9.]{1,64}$/, 'a StudyInstanceUID: digits and ".", at most 64')
      .optional(),
    query: z.string().min(1).max(1024).optional(),
  })
  .refine((r) => !!r.study !== !!r.query, { message: 'give a study UID or a query, one of them', path: ['study'] });

export async function ingestFromPacs(db: Db, request: z.infer<typeof PacsIngestRequestSchema>, pacs: PacsConfig, actor: Principal) {
  const url = serverUrl(pacs, request.server);
  await recordAudit(db, actor.name, 'dataset.ingest', request.dataset, { server: request.server, study: request.study ?? null, query: request.query ?? null });
  return queueIngest(db, { dataset: request.dataset, paths: [], pull: { server: request.server, url, ...(request.study ? { study: request.study } : { query: request.query }) } });
}

export const PushRequestSchema = z.strictObject({ server: z.string().min(1).max(40) });

/** Stores the DICOM SEG of a case's prediction on a configured PACS (STOW-RS); 502 when the PACS fails. */
export async function pushCase(db: Db, runId: string, seriesUid: string, request: z.infer<typeof PushRequestSchema>, pacs: PacsConfig, actor: Principal) {
  const client = new DicomWebClient(parseDicomWebUrl(serverUrl(pacs, request.server)), pacs.auth);
  const { bytes } = await caseSegmentation(db, runId, seriesUid).catch((err: Error) => {
    throw err.name === 'CaseSegmentationError' ? notFound(err.message) : err;
  });
  const { failed } = await client.store([bytes]).catch((err: Error) => {
    throw new HttpError(502, 'pacs_failed', err.message);
  });
  if (failed.length) throw new HttpError(502, 'pacs_failed', `${client.server.label} did not store the SEG (${failed[0].reason})`);
  await recordAudit(db, actor.name, 'run.push', runId, { series: seriesUid, server: request.server });
  return { stored: true, server: request.server, bytes: bytes.length };
}
