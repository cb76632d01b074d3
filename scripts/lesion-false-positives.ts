/**
 * npm run fusion:false-positives -- RUN [--class C] [--split test|validation]: where a run's false-positive
 * voxels of class C (default 2, the lesion) lie in its stored predictions (at the calibrated operating
 * point): within 1 voxel (3D Chebyshev) of a true voxel of the class, at 2 voxels, or farther; and what
 * removing predicted components smaller than k voxels (nnU-Net-style post-processing) would change:
 * mean case Dice, pooled sensitivity and precision, lesions found, false-positive components.
 * Reads the catalogue of DATABASE_URL; prints JSON. A diagnostic for docs/loss-fusion.md.
 */
import { parseArgs } from 'node:util';
import { withDb } from '../src/cli/withDb.js';
import { readVolume } from '../src/data/volumeCache.js';
import { connectedComponents } from '../src/metrics/connectedComponents.js';
import { lesionDetection } from '../src/metrics/lesionDetection.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { class: { type: 'string', default: '2' }, split: { type: 'string', default: 'test' } } });
const runId = positionals[0];
const cls = Number(values.class);
if (!runId || !Number.isInteger(cls) || cls < 1) {
  console.error('usage: npm run fusion:false-positives -- RUN [--class C] [--split test|validation]');
  process.exit(2);
}
const MIN_SIZES = [0, 2, 4, 8, 16, 32, 64];

/** Whether a voxel of `truth` equal to `cls` lies within Chebyshev distance r of voxel j. */
function near(truth: Uint8Array, size: readonly number[], j: number, r: number): boolean {
  const [nx, ny, nz] = size;
  const x = j % nx;
  const y = Math.floor(j / nx) % ny;
  const z = Math.floor(j / (nx * ny));
  for (let dz = -r; dz <= r; dz++)
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        const [X, Y, Z] = [x + dx, y + dy, z + dz];
        if (X >= 0 && Y >= 0 && Z >= 0 && X < nx && Y < ny && Z < nz && truth[X + nx * (Y + ny * Z)] === cls) return true;
      }
  return false;
}

const out = await withDb(async (db) => {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const inSplit = new Set((await db.caseMetric.findMany({ where: { runId, split: values.split }, select: { seriesInstanceUid: true } })).map((c) => c.seriesInstanceUid));
  const predictions = (await db.artifact.findMany({ where: { runId, kind: 'prediction' } })).filter((p) => inSplit.has(p.name));
  const where = { falsePositiveVoxels: 0, within1: 0, at2: 0 };
  const totals = MIN_SIZES.map(() => ({ tp: 0, fp: 0, fn: 0, found: 0, lesions: 0, falsePositiveComponents: 0, dice: 0 }));
  for (const p of predictions) {
    const series = await db.series.findFirstOrThrow({ where: { seriesInstanceUid: p.name, datasetId: run.datasetId }, include: { label: true } });
    if (!series.label) continue;
    const truth = readVolume(series.label.volumePath).data as Uint8Array;
    const volume = readVolume(p.path);
    const pred = volume.data as Uint8Array;
    const size = volume.header.geometry.size;
    for (let j = 0; j < pred.length; j++) {
      if (pred[j] !== cls || truth[j] === cls) continue;
      where.falsePositiveVoxels++;
      if (near(truth, size, j, 1)) where.within1++;
      else if (near(truth, size, j, 2)) where.at2++;
    }
    const { labels, count } = connectedComponents(
      Uint8Array.from(pred, (v) => (v === cls ? 1 : 0)),
      size,
    );
    const voxels = new Int32Array(count + 1);
    for (const l of labels) voxels[l]++;
    MIN_SIZES.forEach((k, i) => {
      const kept = Uint8Array.from(pred, (v, j) => (v === cls && voxels[labels[j]] < k ? 0 : v));
      let [tp, fp, fn] = [0, 0, 0];
      for (let j = 0; j < truth.length; j++) {
        const [t, q] = [truth[j] === cls, kept[j] === cls];
        if (t && q) tp++;
        else if (q) fp++;
        else if (t) fn++;
      }
      const d = lesionDetection(truth, kept, cls, size);
      const s = totals[i];
      Object.assign(s, { tp: s.tp + tp, fp: s.fp + fp, fn: s.fn + fn, found: s.found + d.lesionsFound, lesions: s.lesions + d.lesions, falsePositiveComponents: s.falsePositiveComponents + d.falsePositiveComponents });
      s.dice += tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : 1;
    });
  }
  const r3 = (v: number) => Number(v.toFixed(3));
  const n = where.falsePositiveVoxels || 1;
  return {
    run: runId,
    class: cls,
    split: values.split,
    cases: predictions.length,
    falsePositiveVoxels: { count: where.falsePositiveVoxels, within1Voxel: r3(where.within1 / n), at2Voxels: r3(where.at2 / n), farther: r3(1 - (where.within1 + where.at2) / n) },
    removingComponentsSmallerThan: MIN_SIZES.map((k, i) => {
      const s = totals[i];
      return {
        minVoxels: k,
        meanCaseDice: r3(s.dice / (predictions.length || 1)),
        sensitivity: r3(s.tp / (s.tp + s.fn || 1)),
        precision: r3(s.tp / (s.tp + s.fp || 1)),
        lesionsFound: `${s.found}/${s.lesions}`,
        falsePositiveComponents: s.falsePositiveComponents,
      };
    }),
  };
});
console.log(JSON.stringify(out, null, 1));
