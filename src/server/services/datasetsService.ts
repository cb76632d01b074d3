import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { recordAudit } from '../../db/users.js';
import type { Principal } from '../../users/roles.js';
import { describeDataset, listDatasetSummaries } from '../../data/datasetInfo.js';
import { classSizes, suggestPreset } from '../../train/presetSuggestion.js';
import { isInside } from '../../ingest/scan.js';
import { GenerateSchema, queueIngest } from '../../jobs/ingestJobs.js';
import { findDataset } from '../../db/catalog.js';
import { conflict, forbidden } from '../httpErrors.js';

export const IngestRequestSchema = z.strictObject({
  dataset: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
  path: z.string().min(1).max(4096),
  labels: z.string().min(1).max(4096).optional(),
});
export type IngestRequest = z.infer<typeof IngestRequestSchema>;

export const PageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export async function listDatasetsPage(db: Db, page: z.infer<typeof PageSchema>) {
  const all = await listDatasetSummaries(db);
  return { total: all.length, items: all.slice(page.offset, page.offset + page.limit) };
}

/** GET /api/datasets/:name and `segfusion dataset show`: the catalogue's description, each foreground class's size, and the preset "auto" picks for it. */
export async function datasetDetail(db: Db, name: string) {
  const info = await describeDataset(db, name);
  const sizes = classSizes(info);
  return { ...info, classSizes: sizes, preset: suggestPreset(sizes) };
}
export type DatasetDetail = Awaited<ReturnType<typeof datasetDetail>>;

/**
 * Resolves a server-side folder against the configured ingest roots, following symbolic links first so
 * neither "../" nor a link can reach outside them; says which roots are allowed when it refuses.
 */
export function resolveInsideRoots(requested: string, roots: string[], field: string): string {
  const absolute = path.resolve(roots[0] ?? '.', requested);
  let real: string;
  try {
    real = fs.realpathSync(absolute);
  } catch {
    throw new z.ZodError([{ code: 'custom', path: [field], message: `folder "${requested}" does not exist`, input: requested }]);
  }
  if (!fs.statSync(real).isDirectory()) throw new z.ZodError([{ code: 'custom', path: [field], message: `"${requested}" is not a folder`, input: requested }]);
  const inside = roots.some((root) => {
    let r: string;
    try {
      r = fs.realpathSync(root);
    } catch {
      return false;
    }
    return isInside(r, real);
  });
  if (!inside) throw forbidden(`${field} "${requested}" is outside the folders the server may ingest from (${roots.join(', ')}; set SEGFUSION_INGEST_ROOTS)`);
  return real;
}

/** What the dashboard asks for: the job's cohort options without the folder, which the server chooses. */
export const DemoRequestSchema = GenerateSchema.omit({ folder: true });

/**
 * Queues a job that writes a synthetic demo cohort into the first ingest root (demo, demo-hard, or with
 * a seed demo-hard-s<seed>) and ingests it as the dataset of that name; 409 when the dataset exists.
 */
export async function queueDemo(db: Db, request: z.infer<typeof DemoRequestSchema>, roots: string[], actor: Principal) {
  const name = `${request.difficulty === 'hard' ? 'demo-hard' : 'demo'}${request.seed === undefined ? '' : `-s${request.seed}`}`;
  if (await findDataset(db, name)) throw conflict(`dataset "${name}" already exists; train on it, or give another seed`);
  if (!roots.length) throw conflict('SEGFUSION_INGEST_ROOTS names no folder to write the demo cohort into');
  const folder = path.join(roots[0], name);
  await recordAudit(db, actor.name, 'dataset.demo', name, { difficulty: request.difficulty ?? 'easy', seed: request.seed ?? null });
  return queueIngest(db, { dataset: name, paths: [path.join(folder, 'dicom')], labels: path.join(folder, 'labels'), generate: { ...request, folder } });
}

export async function ingestFromRoots(db: Db, request: IngestRequest, roots: string[], actor: Principal) {
  const folder = resolveInsideRoots(request.path, roots, 'path');
  const labels = request.labels ? resolveInsideRoots(request.labels, roots, 'labels') : undefined;
  await recordAudit(db, actor.name, 'dataset.ingest', request.dataset, { path: request.path, labels: request.labels ?? null });
  return queueIngest(db, { dataset: request.dataset, paths: [folder], labels });
}
