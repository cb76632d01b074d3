import { cross, dot, norm, sub, type Vec3, type VolumeGeometry } from '../data/geometry.js';
import type { InstanceHeader } from './header.js';
import { LIMITS } from './limits.js';

export interface InstanceRef {
  path: string;
  header: InstanceHeader;
}

/** One slice of a volume: a frame of an instance. */
export interface SliceRef {
  path: string;
  sopInstanceUid: string;
  frame: number;
  position: Vec3;
  /** Slice index in the volume grid; missing slices leave gaps that the volume builder interpolates. */
  index: number;
}

export interface SeriesPlan {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  modality: string;
  seriesDescription: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  /** Folder holding most of the series' files (used to match labels by folder name). */
  folder: string;
  /** Slices sorted along the slice normal. */
  slices: SliceRef[];
  instances: InstanceRef[];
  geometry: VolumeGeometry;
  warnings: string[];
  /** Files of the series left out of the volume, each with its reason (no position, another stack, ...). */
  dropped: { path: string; reason: string }[];
}

export interface SeriesProblem {
  seriesInstanceUid: string;
  paths: string[];
  reason: string;
  /** 'note' for series left out on purpose (localizers), 'error' for series that cannot form a volume. */
  severity: 'error' | 'note';
}

const imageKey = (h: InstanceHeader) => `${h.rows}x${h.columns} orientation ${h.orientation?.map((v) => v.toFixed(4)).join(',') ?? 'none'} spacing ${h.pixelSpacing?.map((v) => v.toFixed(4)).join('x') ?? 'none'}`;

/** Relative tolerance for spacing comparisons: DS values are rounded to 16 characters by writers. */
const SPACING_TOLERANCE = 0.01;

/**
 * Groups instances into series and orders slices by ImagePositionPatient projected on the slice normal
 * (row x column direction), never by InstanceNumber or file name, which PACS exports routinely scramble.
 * Records duplicates, mixed sizes/orientations, missing slices, non-uniform spacing and gantry tilt;
 * refuses to merge files of different patients or studies under one UID; leaves localizers out; drops
 * files without a usable position; interpolates gaps of at most LIMITS.maxInterpolatedGap slices and
 * splits the series at larger ones, keeping the largest stack.
 */
export function planSeries(instances: InstanceRef[], folderOf: (path: string) => string): { plans: SeriesPlan[]; problems: SeriesProblem[] } {
  const bySeries = new Map<string, InstanceRef[]>();
  for (const inst of instances) {
    const list = bySeries.get(inst.header.seriesInstanceUid) ?? [];
    list.push(inst);
    bySeries.set(inst.header.seriesInstanceUid, list);
  }
  const plans: SeriesPlan[] = [];
  const problems: SeriesProblem[] = [];
  for (const [uid, members] of bySeries) {
    const result = planOne(uid, members, folderOf);
    if ('reason' in result) problems.push(result);
    else plans.push(result);
  }
  plans.sort((a, b) => a.patientId.localeCompare(b.patientId) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
  return { plans, problems };
}

class PlanProblem extends Error {
  constructor(
    readonly reason: string,
    readonly severity: 'error' | 'note' = 'error',
  ) {
    super(reason);
  }
}

/** Counts of each distinct value, most frequent first, for messages. */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${JSON.stringify(v)}: ${n} file(s)`)
    .join(', ');
}

interface Draft {
  warnings: string[];
  dropped: { path: string; reason: string }[];
}

/** One instance per SOPInstanceUID (the first by path); a second copy is a warning. */
function uniqueInstances(members: InstanceRef[], d: Draft): InstanceRef[] {
  const bySop = new Map<string, InstanceRef>();
  for (const m of [...members].sort((a, b) => a.path.localeCompare(b.path))) {
    const kept = bySop.get(m.header.sopInstanceUid);
    if (kept) d.warnings.push(`duplicate SOPInstanceUID ${m.header.sopInstanceUid}: kept ${kept.path}, ignored ${m.path}`);
    else bySop.set(m.header.sopInstanceUid, m);
  }
  return [...bySop.values()];
}

/**
 * Files of one series must share patient and study (else the UID was reused by two exams, and merging
 * them would fabricate a volume); localizers are left out; of the rest, the largest group of one image
 * size, orientation and pixel spacing is kept.
 */
function consistentInstances(unique: InstanceRef[], d: Draft): InstanceRef[] {
  for (const [name, of] of [
    ['patients', (h: InstanceHeader) => h.patientId],
    ['studies', (h: InstanceHeader) => h.studyInstanceUid],
  ] as const) {
    if (new Set(unique.map((m) => of(m.header))).size > 1) {
      throw new PlanProblem(`SeriesInstanceUID is shared by files of different ${name} (${tally(unique.map((m) => of(m.header)))}); refusing to merge them into one volume`);
    }
  }
  const localizers = unique.filter((m) => m.header.imageType?.split('\\').some((v) => v.trim().toUpperCase() === 'LOCALIZER'));
  if (localizers.length === unique.length) throw new PlanProblem(`localizer (ImageType LOCALIZER): left out of the training volumes`, 'note');
  for (const m of localizers) d.dropped.push({ path: m.path, reason: 'localizer image (ImageType LOCALIZER) left out of the volume' });
  const images = unique.filter((m) => !localizers.includes(m));

  const groups = new Map<string, InstanceRef[]>();
  for (const m of images) groups.set(imageKey(m.header), [...(groups.get(imageKey(m.header)) ?? []), m]);
  const ranked = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  if (ranked.length > 1 && ranked.every(([, v]) => v.length === 1)) {
    throw new PlanProblem(`${ranked.length} single images of different size, orientation or spacing (a multi-plane localizer or scout): left out of the training volumes`, 'note');
  }
  if (ranked.length > 1) {
    d.warnings.push(
      `mixed image size or orientation: kept ${ranked[0][1].length} instance(s) with ${ranked[0][0]}; ignored ${ranked
        .slice(1)
        .map(([k, v]) => `${v.length} with ${k}`)
        .join('; ')}`,
    );
    for (const [k, group] of ranked.slice(1)) {
      for (const m of group) d.dropped.push({ path: m.path, reason: `image ${k} differs from the ${ranked[0][1].length} instance(s) kept (${ranked[0][0]}): left out of the volume` });
    }
  }
  return ranked[0][1];
}

/** Every frame of the kept instances with its position; an instance without usable positions is dropped. */
function placedSlices(kept: InstanceRef[], d: Draft): SliceRef[] {
  const slices: SliceRef[] = [];
  for (const m of kept) {
    if (m.header.frameGeometryProblem) {
      d.dropped.push({ path: m.path, reason: `${m.header.frameGeometryProblem}; left out` });
      continue;
    }
    const positions = m.header.framePositions;
    if (!positions || positions.length !== m.header.frames) {
      d.dropped.push({
        path: m.path,
        reason: positions ? `${m.header.frames} frame(s) but ${positions.length} frame position(s): left out of the volume` : 'no usable ImagePositionPatient (0020,0032) (missing, not 3 finite numbers): left out of the volume',
      });
      continue;
    }
    positions.forEach((position, frame) => slices.push({ path: m.path, sopInstanceUid: m.header.sopInstanceUid, frame, position, index: 0 }));
  }
  const frameProblems = kept.map((m) => m.header.frameGeometryProblem).filter((p): p is string => p !== null);
  if (!slices.length && frameProblems.length) throw new PlanProblem(frameProblems.join('; '));
  if (!slices.length) throw new PlanProblem('no slice has a usable ImagePositionPatient (0020,0032): cannot place the slices in patient space');
  return slices;
}

/** Slices sorted along the normal, one per position (a re-sent instance under a new UID is ignored). */
function orderedSlices(slices: SliceRef[], normal: Vec3, d: Draft): SliceRef[] {
  const along = (s: SliceRef) => dot(s.position, normal);
  slices.sort((a, b) => along(a) - along(b));
  const deduped: SliceRef[] = [];
  for (const s of slices) {
    const prev = deduped[deduped.length - 1];
    if (prev && Math.abs(along(s) - along(prev)) < 1e-3) {
      d.warnings.push(`two slices at position ${along(s).toFixed(3)} mm: kept ${prev.path}, ignored ${s.path}${s.frame ? ` frame ${s.frame}` : ''}`);
      continue;
    }
    deduped.push(s);
  }
  return deduped;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Splits the ordered slices where more than LIMITS.maxInterpolatedGap slices are missing and keeps the
 * largest stack (the first of equal ones); the other stacks' files are dropped with the gap named.
 * Smaller gaps stay in the grid, to be interpolated, with a warning.
 */
function largestStack(ordered: SliceRef[], normal: Vec3, d: Draft): { stack: SliceRef[]; step: number } {
  if (ordered.length < 2) return { stack: ordered, step: 0 };
  const along = (s: SliceRef) => dot(s.position, normal);
  const steps = ordered.slice(1).map((s, i) => along(s) - along(ordered[i]));
  const step = median(steps);
  const stacks: SliceRef[][] = [[ordered[0]]];
  steps.forEach((gap, i) => {
    const missing = Math.round(gap / step) - 1;
    const a = along(ordered[i]).toFixed(2);
    const b = along(ordered[i + 1]).toFixed(2);
    if (gap / step > 1.5 && missing > LIMITS.maxInterpolatedGap) {
      stacks.push([]);
    } else if (gap / step > 1.5) {
      d.warnings.push(`missing ${missing} slice(s) between positions ${a} and ${b} mm (gap ${gap.toFixed(2)} mm, spacing ${step.toFixed(2)} mm); filled by interpolating the neighbouring slices`);
    }
    stacks[stacks.length - 1].push(ordered[i + 1]);
  });
  if (stacks.length === 1) return { stack: ordered, step };
  const kept = stacks.reduce((best, s) => (s.length > best.length ? s : best));
  const span = (s: SliceRef[]) => `${along(s[0]).toFixed(2)}..${along(s[s.length - 1]).toFixed(2)} mm`;
  d.warnings.push(
    `gaps of more than ${LIMITS.maxInterpolatedGap} missing slices split the series into ${stacks.length} stacks (${stacks.map((s) => `${s.length} slice(s) at ${span(s)}`).join('; ')}); kept the stack at ${span(kept)}, gaps that large are not interpolated`,
  );
  // A multi-frame file with frames in the kept stack stays (only those frames enter the grid).
  const keptPaths = new Set(kept.map((x) => x.path));
  for (const s of stacks) {
    if (s === kept) continue;
    for (const path of new Set(s.map((x) => x.path))) {
      if (!keptPaths.has(path)) d.dropped.push({ path, reason: `in another stack (${span(s)}) than the one kept (${span(kept)}), beyond a gap of more than ${LIMITS.maxInterpolatedGap} missing slices` });
    }
  }
  return { stack: kept, step: kept.length > 1 ? median(kept.slice(1).map((s, i) => along(s) - along(kept[i]))) : step };
}

function planOne(uid: string, members: InstanceRef[], folderOf: (path: string) => string): SeriesPlan | SeriesProblem {
  const d: Draft = { warnings: [], dropped: [] };
  try {
    return planConsistent(uid, members, folderOf, d);
  } catch (err) {
    if (!(err instanceof PlanProblem)) throw err;
    return { seriesInstanceUid: uid, paths: members.map((m) => m.path), reason: err.reason, severity: err.severity };
  }
}

function planConsistent(uid: string, members: InstanceRef[], folderOf: (path: string) => string, d: Draft): SeriesPlan {
  const kept = consistentInstances(uniqueInstances(members, d), d);
  const first = kept[0].header;
  if (!first.orientation || !first.pixelSpacing) throw new PlanProblem('no ImageOrientationPatient/PixelSpacing: not a volumetric series');
  const rowDir: Vec3 = [first.orientation[0], first.orientation[1], first.orientation[2]];
  const colDir: Vec3 = [first.orientation[3], first.orientation[4], first.orientation[5]];
  const normal = cross(rowDir, colDir);
  const nn = norm(normal);
  if (nn < 0.5) throw new PlanProblem(`ImageOrientationPatient ${first.orientation.join('\\')} has parallel row and column directions`);
  const unitNormal: Vec3 = [normal[0] / nn, normal[1] / nn, normal[2] / nn];

  const { stack, step } = largestStack(orderedSlices(placedSlices(kept, d), unitNormal, d), unitNormal, d);
  const along = (s: SliceRef) => dot(s.position, unitNormal);
  let spacingZ = stack.length > 1 ? step : (first.sliceThickness ?? 1);
  if (stack.length > 2) {
    const regular = stack
      .slice(1)
      .map((s, i) => along(s) - along(stack[i]))
      .filter((g) => g / step <= 1.5);
    const lo = Math.min(...regular);
    const hi = Math.max(...regular);
    if (hi - lo > SPACING_TOLERANCE * step) d.warnings.push(`non-uniform slice spacing: ${lo.toFixed(3)} to ${hi.toFixed(3)} mm (median ${step.toFixed(3)} mm used)`);
  }

  // Grid index of each slice from its position, so a missing slice keeps its place in the volume (and
  // labels drawn on the complete grid still fit). Irregular spacing that would put two slices on one
  // index falls back to consecutive indices.
  let indices = stack.map((s) => (stack.length > 1 ? Math.round((along(s) - along(stack[0])) / step) : 0));
  if (indices.some((k, i) => i > 0 && k <= indices[i - 1])) indices = stack.map((_, i) => i);
  stack.forEach((s, i) => (s.index = indices[i]));
  const gridSlices = indices[indices.length - 1] + 1;
  const voxels = first.columns * first.rows * gridSlices;
  if (gridSlices > LIMITS.maxVolumeSlices || voxels > LIMITS.maxVolumeVoxels) {
    throw new PlanProblem(`the volume grid would be ${first.columns}x${first.rows}x${gridSlices} (${voxels} voxels), beyond the limits of ${LIMITS.maxVolumeSlices} slices and ${LIMITS.maxVolumeVoxels} voxels`);
  }

  let sliceDir: Vec3 = unitNormal;
  if (stack.length > 1) {
    const span = sub(stack[stack.length - 1].position, stack[0].position);
    const len = norm(span);
    const cos = dot(span, unitNormal) / len;
    const tiltDeg = (Math.acos(Math.min(1, Math.abs(cos))) * 180) / Math.PI;
    if (tiltDeg > 0.05) {
      d.warnings.push(`gantry tilt of ${tiltDeg.toFixed(2)} degrees (slices are sheared; the volume keeps the acquired, non-orthogonal grid)`);
      sliceDir = [span[0] / len, span[1] / len, span[2] / len];
      spacingZ = len / (gridSlices - 1);
    }
  } else if (first.gantryTilt && Math.abs(first.gantryTilt) > 0.05) {
    d.warnings.push(`gantry tilt of ${first.gantryTilt} degrees recorded in (0018,1120)`);
  }

  const inStack = new Set(stack.map((s) => s.path));
  const instances = kept.filter((m) => inStack.has(m.path));
  const folders = new Map<string, number>();
  for (const m of instances) folders.set(folderOf(m.path), (folders.get(folderOf(m.path)) ?? 0) + 1);
  const folder = [...folders.entries()].sort((a, b) => b[1] - a[1])[0][0];

  return {
    seriesInstanceUid: uid,
    studyInstanceUid: first.studyInstanceUid,
    patientId: first.patientId,
    modality: first.modality,
    seriesDescription: first.seriesDescription,
    studyDate: first.studyDate,
    studyDescription: first.studyDescription,
    folder,
    slices: stack,
    instances,
    geometry: {
      size: [first.columns, first.rows, gridSlices],
      spacing: [first.pixelSpacing[1], first.pixelSpacing[0], spacingZ],
      origin: stack[0].position,
      axes: [rowDir, colDir, sliceDir],
    },
    warnings: d.warnings,
    dropped: d.dropped,
  };
}
