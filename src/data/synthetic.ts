import fs from 'node:fs';
import path from 'node:path';
import { writeDicomPart10, type DicomElement } from '../dicom/writer.js';
import { writeNifti } from '../nifti/nifti.js';
import { z } from 'zod';
import { Random } from '../util/random.js';
import { lpsToRasAffine, voxelToLps, type VolumeGeometry } from './geometry.js';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const UID_ROOT = '1.2.826.0.1.3680043.10.1387';

/**
 * What makes a cohort easy or hard: lesion size, count and contrast, image noise and resolution. Each
 * range [lo, hi] is drawn uniformly per patient (per lesion for radii); lo = hi is a fixed value.
 */
export interface SyntheticDifficulty {
  /** In-plane pixel spacing in mm. */
  pixelSpacingMm: [number, number];
  /** Slice thickness (= spacing) in mm. */
  sliceThicknessMm: [number, number];
  /** Lesions per patient (integers). */
  lesionCount: [number, number];
  /** Lesion radius in mm. */
  lesionRadiusMm: [number, number];
  /** Lesion HU relative to the organ; null: +70 or -70 HU, drawn per lesion (the easy demo). */
  lesionContrastHu: number | null;
  /** Standard deviation of the gaussian noise, HU. */
  noiseHu: number;
}

/** The demo: lesions of 3.5-6 mm radius, 70 HU off the organ, 12 HU noise, 1.2-1.5 mm pixels, 2.5 mm slices. */
export const EASY: SyntheticDifficulty = { pixelSpacingMm: [1.2, 1.5], sliceThicknessMm: [2.5, 2.5], lesionCount: [1, 3], lesionRadiusMm: [3.5, 6], lesionContrastHu: null, noiseHu: 12 };

/**
 * Where fusion matters: lesions of 3-7 mm radius (1-3 voxels at 2.4-3.2 mm pixels, 2.5-5 mm slices),
 * 18 HU darker than the organ under 15 HU noise, about 0.02 % of the voxels.
 */
export const HARD: SyntheticDifficulty = { pixelSpacingMm: [2.4, 3.2], sliceThicknessMm: [2.5, 5], lesionCount: [1, 3], lesionRadiusMm: [3, 7], lesionContrastHu: -18, noiseHu: 15 };

export const DIFFICULTIES = { easy: EASY, hard: HARD } as const;

export interface SyntheticCohortOptions {
  out: string;
  patients: number;
  /** In-plane matrix (rows = columns). */
  matrix: number;
  slices: number;
  seed: number;
  /** Default EASY (the demo). */
  difficulty?: SyntheticDifficulty;
}

export const DEMO_COHORT: Omit<SyntheticCohortOptions, 'out'> = { patients: 12, matrix: 128, slices: 32, seed: 1387 };

/** The hard demo: 16 patients of 96 x 96 x 24 voxels; see HARD (lesions are about 0.01-0.02 % of the voxels). */
export const HARD_COHORT: Omit<SyntheticCohortOptions, 'out'> = { patients: 16, matrix: 96, slices: 24, seed: 2611, difficulty: HARD };

export const DEMO_CLASSES = { 0: 'background', 1: 'organ', 2: 'lesion' } as const;

interface Ellipsoid {
  center: [number, number, number];
  radii: [number, number, number];
}

const inside = (e: Ellipsoid, p: [number, number, number]): boolean => ((p[0] - e.center[0]) / e.radii[0]) ** 2 + ((p[1] - e.center[1]) / e.radii[1]) ** 2 + ((p[2] - e.center[2]) / e.radii[2]) ** 2 <= 1;

export interface SyntheticCase {
  patientId: string;
  studyUid: string;
  seriesUid: string;
  geometry: VolumeGeometry;
  /** HU, i fastest. */
  hu: Int16Array;
  labels: Uint8Array;
}

/** One synthetic abdominal-CT-like volume: body, an organ with small lesions, an unlabelled bright distractor. */
export function synthesizeCase(index: number, opts: Omit<SyntheticCohortOptions, 'out'>): SyntheticCase {
  const rng = new Random(opts.seed * 7919 + index);
  const d = opts.difficulty ?? EASY;
  // A fixed value draws nothing, so the easy demo's random sequence (and cohort) is as it always was.
  const draw = ([lo, hi]: [number, number]) => (lo === hi ? lo : rng.uniform(lo, hi));
  const n = opts.matrix;
  const pixel = Math.round(draw(d.pixelSpacingMm) * 1000) / 1000;
  const thickness = Math.round(draw(d.sliceThicknessMm) * 100) / 100;
  const fov = n * pixel;
  const geometry: VolumeGeometry = {
    size: [n, n, opts.slices],
    spacing: [pixel, pixel, thickness],
    origin: [-fov / 2, -fov / 2 + rng.uniform(-5, 5), -opts.slices * thickness * 0.5 + rng.uniform(-10, 10)],
    axes: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  };
  const zc = geometry.origin[2] + (opts.slices * thickness) / 2;
  const yc = geometry.origin[1] + fov / 2;
  const body: Ellipsoid = { center: [0, yc, zc], radii: [fov * 0.42, fov * 0.33, 1e6] };
  const organ: Ellipsoid = {
    center: [rng.uniform(-15, 5), yc + rng.uniform(-8, 8), zc + rng.uniform(-5, 5)],
    radii: [rng.uniform(28, 38), rng.uniform(22, 30), rng.uniform(20, 28)],
  };
  const lesions: Ellipsoid[] = [];
  const lesionHu: number[] = [];
  const nLesions = rng.int(d.lesionCount[0], d.lesionCount[1]);
  for (let l = 0; l < nLesions; l++) {
    const r = draw(d.lesionRadiusMm);
    const c: [number, number, number] = [0, 1, 2].map((a) => organ.center[a] + rng.uniform(-0.5, 0.5) * organ.radii[a]) as [number, number, number];
    lesions.push({ center: c, radii: [r, r, r] });
    // Relative to the organ (the easy demo draws +70 or -70 HU).
    lesionHu.push(d.lesionContrastHu ?? (rng.next() < 0.5 ? 70 : -70));
  }
  const distractor: Ellipsoid = {
    center: [organ.center[0] + organ.radii[0] + 18, organ.center[1] - 10, organ.center[2]],
    radii: [8, 8, 8],
  };
  const organHu = rng.uniform(50, 70);
  const hu = new Int16Array(n * n * opts.slices);
  const labels = new Uint8Array(hu.length);
  let v = 0;
  for (let k = 0; k < opts.slices; k++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++, v++) {
        const p: [number, number, number] = [geometry.origin[0] + i * pixel, geometry.origin[1] + j * pixel, geometry.origin[2] + k * thickness];
        let value = -1000;
        let label = 0;
        if (inside(body, p)) value = 20;
        if (inside(distractor, p)) value = 260;
        if (inside(organ, p)) {
          value = organHu;
          label = 1;
          lesions.forEach((les, li) => {
            if (inside(les, p)) {
              value = organHu + lesionHu[li];
              label = 2;
            }
          });
        }
        hu[v] = Math.max(-1024, Math.min(3000, Math.round(value + rng.normal() * d.noiseHu)));
        labels[v] = label;
      }
    }
  }
  const pad = String(index + 1).padStart(3, '0');
  return {
    patientId: `SYN${pad}`,
    studyUid: `${UID_ROOT}.1.${opts.seed}.${index + 1}`,
    seriesUid: `${UID_ROOT}.2.${opts.seed}.${index + 1}`,
    geometry,
    hu,
    labels,
  };
}

/** CT slices of a synthetic case as Part 10 files (unsigned 12-bit stored values, HU via rescale). */
export function caseToDicom(c: SyntheticCase, seed: number): { fileName: string; bytes: Buffer }[] {
  const [nx, ny, nz] = c.geometry.size;
  const intercept = -1024;
  const order = new Random(seed).shuffle([...Array(nz).keys()]);
  return [...Array(nz).keys()].map((k) => {
    const pixels = new Uint16Array(nx * ny);
    const base = k * nx * ny;
    for (let p = 0; p < pixels.length; p++) pixels[p] = c.hu[base + p] - intercept;
    const sopUid = `${c.seriesUid}.${k + 1}`;
    const ipp = [c.geometry.origin[0], c.geometry.origin[1], c.geometry.origin[2] + k * c.geometry.spacing[2]];
    // Instance numbers run head to feet (reverse of position) and file names are shuffled, so that a
    // reader sorting by either gets the volume wrong.
    const elements: DicomElement[] = [
      { tag: 0x00080008, vr: 'CS', value: 'ORIGINAL\\PRIMARY\\AXIAL' },
      { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
      { tag: 0x00080018, vr: 'UI', value: sopUid },
      { tag: 0x00080020, vr: 'DA', value: '20260101' },
      { tag: 0x00080060, vr: 'CS', value: 'CT' },
      { tag: 0x00080070, vr: 'LO', value: 'SegFusion synthetic' },
      { tag: 0x0008103e, vr: 'LO', value: 'Synthetic abdomen' },
      { tag: 0x00100010, vr: 'PN', value: `Synthetic^${c.patientId}` },
      { tag: 0x00100020, vr: 'LO', value: c.patientId },
      { tag: 0x00180050, vr: 'DS', value: c.geometry.spacing[2] },
      { tag: 0x00180088, vr: 'DS', value: c.geometry.spacing[2] },
      { tag: 0x0020000d, vr: 'UI', value: c.studyUid },
      { tag: 0x0020000e, vr: 'UI', value: c.seriesUid },
      { tag: 0x00200011, vr: 'IS', value: 1 },
      { tag: 0x00200013, vr: 'IS', value: nz - k },
      { tag: 0x00200032, vr: 'DS', value: ipp },
      { tag: 0x00200037, vr: 'DS', value: [...c.geometry.axes[0], ...c.geometry.axes[1]] },
      { tag: 0x00200052, vr: 'UI', value: `${c.studyUid}.0` },
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280010, vr: 'US', value: ny },
      { tag: 0x00280011, vr: 'US', value: nx },
      { tag: 0x00280030, vr: 'DS', value: [c.geometry.spacing[1], c.geometry.spacing[0]] },
      { tag: 0x00280100, vr: 'US', value: 16 },
      { tag: 0x00280101, vr: 'US', value: 12 },
      { tag: 0x00280102, vr: 'US', value: 11 },
      { tag: 0x00280103, vr: 'US', value: 0 },
      { tag: 0x00281050, vr: 'DS', value: 40 },
      { tag: 0x00281051, vr: 'DS', value: 400 },
      { tag: 0x00281052, vr: 'DS', value: intercept },
      { tag: 0x00281053, vr: 'DS', value: 1 },
      { tag: 0x7fe00010, vr: 'OW', value: pixels },
    ];
    return { fileName: `IM${String(order[k] + 1).padStart(4, '0')}`, bytes: writeDicomPart10(elements, CT_IMAGE_STORAGE, sopUid) };
  });
}

/**
 * Writes a synthetic cohort: out/dicom/<PatientID>/<series>/IMxxxx (no extension, as PACS exports often are),
 * out/labels/<PatientID>.nii.gz and out/labels/labels.json. Deterministic for a given seed.
 */
export function generateSyntheticCohort(opts: SyntheticCohortOptions, onCase?: (done: number, total: number) => void): SyntheticCase[] {
  const cases: SyntheticCase[] = [];
  const labelsDir = path.join(opts.out, 'labels');
  fs.mkdirSync(labelsDir, { recursive: true });
  for (let p = 0; p < opts.patients; p++) {
    const c = synthesizeCase(p, opts);
    const seriesDir = path.join(opts.out, 'dicom', c.patientId, 'CT_abdomen');
    fs.mkdirSync(seriesDir, { recursive: true });
    for (const f of caseToDicom(c, opts.seed + p)) fs.writeFileSync(path.join(seriesDir, f.fileName), f.bytes);
    const affine = lpsToRasAffine(voxelToLps(c.geometry));
    fs.writeFileSync(path.join(labelsDir, `${c.patientId}.nii.gz`), writeNifti({ dims: c.geometry.size, affine, data: c.labels }, true));
    cases.push(c);
    onCase?.(p + 1, opts.patients);
  }
  fs.writeFileSync(path.join(labelsDir, 'labels.json'), `${JSON.stringify(DEMO_CLASSES, null, 2)}\n`);
  fs.writeFileSync(path.join(opts.out, COHORT_MANIFEST), `${JSON.stringify(cohortManifest(opts), null, 2)}\n`);
  return cases;
}

const Range = z.tuple([z.number(), z.number()]);

/**
 * The folder's record of what generated it (out/cohort.json, beside dicom/ and labels/, which ingest
 * reads; versioned manifest), so that a request for other parameters is not silently given this cohort.
 */
export const SyntheticCohortManifestSchema = z.strictObject({
  format: z.literal('segfusion-synthetic-cohort'),
  version: z.literal(1),
  patients: z.number().int().positive(),
  matrix: z.number().int().positive(),
  slices: z.number().int().positive(),
  seed: z.number().int(),
  difficulty: z.strictObject({ pixelSpacingMm: Range, sliceThicknessMm: Range, lesionCount: Range, lesionRadiusMm: Range, lesionContrastHu: z.number().nullable(), noiseHu: z.number() }),
});
export type SyntheticCohortManifest = z.infer<typeof SyntheticCohortManifestSchema>;
const COHORT_MANIFEST = 'cohort.json';
/** A manifest is a few hundred bytes; anything far larger is not one, and is not read into memory. */
const MAX_MANIFEST_BYTES = 64 * 1024;

const cohortManifest = (o: Omit<SyntheticCohortOptions, 'out'>): SyntheticCohortManifest => ({
  format: 'segfusion-synthetic-cohort',
  version: 1,
  patients: o.patients,
  matrix: o.matrix,
  slices: o.slices,
  seed: o.seed,
  difficulty: { ...(o.difficulty ?? EASY) },
});

/** A cohort folder that holds another cohort than the one asked for; the message names each difference. */
export class CohortMismatchError extends Error {}

/** "seed 6161 (asked 8484)", one per field that differs, difficulty fields as "difficulty.noiseHu". */
function differences(found: SyntheticCohortManifest, asked: SyntheticCohortManifest): string[] {
  const flat = (m: SyntheticCohortManifest): [string, unknown][] => [
    ...(['patients', 'matrix', 'slices', 'seed'] as const).map((k): [string, unknown] => [k, m[k]]),
    ...Object.entries(m.difficulty).map(([k, v]): [string, unknown] => [`difficulty.${k}`, v]),
  ];
  const want = new Map(flat(asked));
  return flat(found).flatMap(([k, v]) => (JSON.stringify(v) === JSON.stringify(want.get(k)) ? [] : [`${k} ${JSON.stringify(v)} (asked ${JSON.stringify(want.get(k))})`]));
}

/**
 * Writes the cohort into `opts.out` unless the folder already holds a complete one (its
 * labels/labels.json) generated with the same parameters, or `force`. A folder whose cohort.json records
 * other parameters, or is not a valid manifest, throws CohortMismatchError naming the differences and
 * `hint` (what the caller offers instead: --force, another folder); one from before cohort.json was
 * written is kept, with a note saying its parameters are unknown. Why: the CLI once answered `--seed 8484`
 * with "already in datasets/demo-hard" and the seed-6161 cohort that folder held, and a study trained on it.
 */
export function ensureSyntheticCohort(opts: SyntheticCohortOptions, o: { force?: boolean; hint: string; onCase?: (done: number, total: number) => void }): { written: boolean; note?: string } {
  if (o.force || !fs.existsSync(path.join(opts.out, 'labels', 'labels.json'))) {
    generateSyntheticCohort(opts, o.onCase);
    return { written: true };
  }
  const file = path.join(opts.out, COHORT_MANIFEST);
  if (!fs.existsSync(file)) return { written: false, note: `${opts.out} holds a cohort written before ${COHORT_MANIFEST} was recorded: its parameters are unknown, so it may not be the one asked for (${o.hint})` };
  const size = fs.statSync(file).size;
  if (size > MAX_MANIFEST_BYTES) throw new CohortMismatchError(`${file} is ${size} bytes, not a cohort manifest (at most ${MAX_MANIFEST_BYTES}): ${o.hint}`);
  let found: SyntheticCohortManifest;
  try {
    found = SyntheticCohortManifestSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    throw new CohortMismatchError(`${file} is not a valid cohort manifest (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): ${o.hint}`);
  }
  const diff = differences(found, cohortManifest(opts));
  if (diff.length) throw new CohortMismatchError(`${opts.out} already holds another synthetic cohort: ${diff.join(', ')}; ${o.hint}`);
  return { written: false };
}
