import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../util/atomicWrite.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'group1-shard1of1.bin';

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/**
 * Saves a layers model as TF.js writes it to `file://` (model.json + one weight shard), so the files load
 * with tf.loadLayersModel in tfjs-node or from a web server in the browser. The umbrella package has no
 * file handler in Node, hence the explicit save handler.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      writeFileAtomic(path.join(dir, WEIGHTS_BIN), Buffer.from(data));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
}

/** Loads a model saved by saveModel (or by tfjs-node's file:// handler with a single shard). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new ModelFileError(`cannot read ${jsonPath}: ${(err as Error).message}`);
  }
  const manifest = json.weightsManifest ?? [];
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const buffers = manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const weightData = tf.io.CompositeArrayBuffer.join(buffers.map((b) => new Uint8Array(b).buffer));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

/** Writes named tensors (optimizer state) as `<file>.bin` + `<file>.json` (their specs). */
export async function saveTensors(tensors: { name: string; tensor: tf.Tensor }[], file: string): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  writeFileAtomic(`${file}.bin`, Buffer.from(tf.io.CompositeArrayBuffer.join(data)));
  writeFileAtomic(`${file}.json`, JSON.stringify(specs));
}

/** Reads what saveTensors wrote, in the order it was written (optimizers restore by position). */
export function loadTensors(file: string): { name: string; tensor: tf.Tensor }[] {
  const specs = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as tf.io.WeightsManifestEntry[];
  const bytes = fs.readFileSync(`${file}.bin`);
  const map = tf.io.decodeWeights(new Uint8Array(bytes).buffer, specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
}
