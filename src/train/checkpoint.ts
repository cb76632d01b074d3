import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { loadModel, loadTensors, saveModel, saveTensors, WEIGHTS_BIN } from '../model/modelIo.js';

const ScoreSchema = z.object({ meetsTargets: z.boolean(), value: z.number(), missed: z.array(z.string()), shortfall: z.number().optional(), reached: z.record(z.string(), z.number()).optional() });

/** What a checkpoint holds besides the weights: enough to continue exactly where training stopped. */
export const CheckpointStateSchema = z.object({
  format: z.literal('segfusion-checkpoint'),
  version: z.literal(1),
  /** The epoch that had just finished (0-based). */
  epoch: z.number().int().min(0),
  /** Global batch steps done. */
  step: z.number().int().min(0),
  rng: z.object({ state: z.number().int(), spare: z.number().nullable() }),
  fusion: z.unknown(),
  bestEpoch: z.number().int().nullable(),
  bestDice: z.number().nullable(),
  /** The best epoch's standing under the run's selection rule (absent in checkpoints of 0.1 runs: mean Dice then). */
  bestScore: ScoreSchema.nullable().optional(),
  /** The latest epoch's standing, smoothed when selection.smoothing > 0: the next epoch's average starts from it. */
  lastScore: ScoreSchema.nullable().optional(),
  epochsSinceBest: z.number().int().min(0),
  durationMs: z.number().min(0),
});
export type CheckpointState = z.infer<typeof CheckpointStateSchema>;

const PointerSchema = z.object({ epoch: z.number().int().min(0), dir: z.string() });
type Which = 'latest' | 'best';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const checkpointsDir = (runDir: string) => path.join(runDir, 'checkpoints');

/**
 * Writes epoch N's checkpoint into its own folder (model, Adam state, sampler RNG, fusion state), then
 * swings the `latest` (and, when it improved, `best`) pointer file to it with an atomic rename: a kill
 * at any moment leaves the previous pointers on complete checkpoints. Folders no pointer names are
 * removed afterwards. Returns the sha256 and size of the weights for the artifact record.
 */
export async function saveCheckpoint(runDir: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: CheckpointState, isBest: boolean): Promise<{ dir: string; sha256: string; bytes: number }> {
  const root = checkpointsDir(runDir);
  const name = `epoch-${String(state.epoch).padStart(4, '0')}`;
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  await saveModel(model, dir);
  await saveTensors(await optimizer.getWeights(), path.join(dir, 'optimizer'));
  writeFileAtomic(path.join(dir, 'state.json'), JSON.stringify(state));
  writeFileAtomic(path.join(root, 'latest.json'), JSON.stringify({ epoch: state.epoch, dir: name }));
  if (isBest) writeFileAtomic(path.join(root, 'best.json'), JSON.stringify({ epoch: state.epoch, dir: name }));
  const keep = new Set([readPointer(runDir, 'latest')?.dir, readPointer(runDir, 'best')?.dir]);
  for (const d of fs.readdirSync(root)) if (d.startsWith('epoch-') && !keep.has(d)) fs.rmSync(path.join(root, d), { recursive: true, force: true });
  const weights = fs.readFileSync(path.join(dir, WEIGHTS_BIN));
  return { dir, sha256: crypto.createHash('sha256').update(weights).digest('hex'), bytes: weights.length };
}

export function readPointer(runDir: string, which: Which): { epoch: number; dir: string } | null {
  const file = path.join(checkpointsDir(runDir), `${which}.json`);
  if (!fs.existsSync(file)) return null;
  const parsed = PointerSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new CheckpointError(`${file} is not a checkpoint pointer: ${parsed.error.message}`);
  return parsed.data;
}

export function checkpointDir(runDir: string, which: Which): string | null {
  const p = readPointer(runDir, which);
  return p ? path.join(checkpointsDir(runDir), p.dir) : null;
}

/** Copies a checkpoint's weights into `model` (same architecture) and returns its state. */
export async function restoreWeights(runDir: string, which: Which, model: tf.LayersModel): Promise<CheckpointState> {
  const dir = checkpointDir(runDir, which);
  if (!dir) throw new CheckpointError(`run folder ${runDir} has no ${which} checkpoint`);
  const saved = await loadModel(dir);
  model.setWeights(saved.getWeights());
  saved.dispose();
  const state = CheckpointStateSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')));
  if (!state.success) throw new CheckpointError(`${dir}/state.json is invalid: ${state.error.message}`);
  return state.data;
}

/** Restores Adam's moments and iteration count, so the resumed steps equal the uninterrupted ones. */
export async function restoreOptimizer(runDir: string, optimizer: tf.Optimizer): Promise<void> {
  const dir = checkpointDir(runDir, 'latest');
  if (!dir) throw new CheckpointError(`run folder ${runDir} has no latest checkpoint`);
  await optimizer.setWeights(loadTensors(path.join(dir, 'optimizer')));
}
