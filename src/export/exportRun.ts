import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Db } from '../db/client.js';
import { datasetClassSpecs } from '../db/catalog.js';
import { upsertArtifact } from '../db/runs.js';
import { segmentCodingsFor } from '../data/classSpecs.js';
import { MODEL_JSON, WEIGHTS_BIN } from '../model/modelIo.js';
import { checkpointDir } from '../train/checkpoint.js';
import { parseRunConfig } from '../train/runConfig.js';
import type { OperatingPoint } from '../train/operatingPoint.js';
import { runFigures } from '../server/services/runReportService.js';
import { runReport } from '../train/runReport.js';
import { runDir } from '../train/trainer.js';
import { EXPORT_MANIFEST, ExportError, type ExportManifest } from './exportManifest.js';
import { modelCard } from './modelCard.js';

/** The export's folder of figures, relative to its root. */
const FIGURES = 'figures';

export interface ExportResult {
  out: string;
  files: string[];
  zip: string | null;
  manifest: ExportManifest;
}

/**
 * The operating point without each test case's FROC counts: they name the test series (DICOM UIDs), which
 * have no place in a model that leaves the lab; the pooled curve and rates stay.
 */
function withoutCases(op: OperatingPoint | null): OperatingPoint | null {
  if (!op) return op;
  return Object.fromEntries(
    Object.entries(op).map(([c, p]) => {
      if (!p.test?.froc?.perCase) return [c, p];
      const { perCase: _dropped, ...froc } = p.test.froc;
      return [c, { ...p, test: { ...p.test, froc } }];
    }),
  );
}

/**
 * Exports a run's best checkpoint: the TF.js layers model (model.json + weight shard), segfusion.json,
 * MODEL_CARD.md and the figures it shows (figures/: the curves as SVG, the worst test cases as PNG);
 * with `zip`, also OUT.zip holding the same files. Recorded as an artifact.
 */
export async function exportRun(db: Db, runId: string, o: { out: string; runsDir: string; zip?: boolean }): Promise<ExportResult> {
  const run = await runReport(db, runId);
  const best = checkpointDir(runDir(o.runsDir, runId), 'best');
  if (!best || !run.plan) throw new ExportError(`run ${runId} (${run.status}) has no best checkpoint yet: it must finish at least one epoch`);
  const config = parseRunConfig(run.config);
  const plan = run.plan;
  const manifest: ExportManifest = {
    format: 'segfusion-model',
    version: 1,
    runId,
    runName: run.name,
    exportedAt: new Date().toISOString(),
    classes: plan.classNames,
    inputSlices: config.model.inputSlices,
    mirror: config.inference.mirror,
    sizeMultiple: 2 ** config.model.depth,
    patchSize: config.sampling.patchSize,
    preprocessing: plan,
    model: { ...config.model, classes: plan.classes },
    trainingConfig: config as unknown as Record<string, unknown>,
    metrics: { bestEpoch: run.bestEpoch, bestValidationDice: run.bestDice, test: run.test },
    datasetFingerprint: plan.datasetFingerprint,
    versions: run.versions ?? {},
    backend: run.backend,
    operatingPoint: withoutCases(run.operatingPoint),
    segmentCodings: segmentCodingsFor(plan.classNames, await datasetClassSpecs(db, run.dataset)),
  };
  const out = path.resolve(o.out);
  fs.mkdirSync(out, { recursive: true });
  for (const f of [MODEL_JSON, WEIGHTS_BIN]) fs.copyFileSync(path.join(best, f), path.join(out, f));
  fs.writeFileSync(path.join(out, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2));
  // Figures under names of our own (never a value from the data), referenced by the card.
  const { curves, worst } = await runFigures(db, run);
  fs.mkdirSync(path.join(out, FIGURES), { recursive: true });
  const figures = [...curves.map((c) => ({ file: `${FIGURES}/${c.name}.svg`, caption: c.title, data: Buffer.from(c.svg) })), ...worst.map((w) => ({ file: `${FIGURES}/${w.name}.png`, caption: w.caption, data: w.png }))];
  for (const f of figures) fs.writeFileSync(path.join(out, f.file), f.data);
  fs.writeFileSync(path.join(out, 'MODEL_CARD.md'), modelCard(manifest, run, { curves: figures.slice(0, curves.length), worst: figures.slice(curves.length) }));
  const files = [MODEL_JSON, WEIGHTS_BIN, EXPORT_MANIFEST, 'MODEL_CARD.md', ...figures.map((f) => f.file)];
  let zip: string | null = null;
  if (o.zip) {
    zip = `${out}.zip`;
    fs.writeFileSync(zip, zipSync(Object.fromEntries(files.map((f) => [f, new Uint8Array(fs.readFileSync(path.join(out, f)))]))));
  }
  const weights = fs.readFileSync(path.join(out, WEIGHTS_BIN));
  await upsertArtifact(db, runId, { kind: 'export', name: out, path: zip ?? out, sha256: crypto.createHash('sha256').update(weights).digest('hex'), bytes: weights.length, epoch: run.bestEpoch });
  return { out, files, zip, manifest };
}
