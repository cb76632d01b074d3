import { cross, dot, norm, sub, type Vec3, type VolumeGeometry } from '../data/geometry.js';
import type { InstanceHeader } from './header.js';

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
}

export interface SeriesProblem {
  seriesInstanceUid: string;
  paths: string[];
  reason: string;
}

const key = (h: InstanceHeader) => `${h.rows}x${h.columns} orientation ${h.orientation?.map((v) => v.toFixed(4)).join(',') ?? 'none'}`;

/** Relative tolerance for spacing comparisons: DS values are rounded to 16 characters by writers. */
const SPACING_TOLERANCE = 0.01;

/**
 * Groups instances into series and orders slices by ImagePositionPatient projected on the slice normal
 * (row x column direction), never by InstanceNumber or file name, which PACS exports routinely scramble.
 * Records duplicates, mixed sizes/orientations, missing slices, non-uniform spacing and gantry tilt.
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

function planOne(uid: string, members: InstanceRef[], folderOf: (path: string) => string): SeriesPlan | SeriesProblem {
  const warnings: string[] = [];
  const paths = members.map((m) => m.path);
  const bySop = new Map<string, InstanceRef>();
  for (const m of [...members].sort((a, b) => a.path.localeCompare(b.path))) {
    if (bySop.has(m.header.sopInstanceUid)) warnings.push(`duplicate SOPInstanceUID ${m.header.sopInstanceUid}: kept ${bySop.get(m.header.sopInstanceUid)!.path}, ignored ${m.path}`);
    else bySop.set(m.header.sopInstanceUid, m);
  }
  let unique = [...bySop.values()];

  const groups = new Map<string, InstanceRef[]>();
  for (const m of unique) groups.set(key(m.header), [...(groups.get(key(m.header)) ?? []), m]);
  if (groups.size > 1) {
    const ranked = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
    warnings.push(
      `mixed image size or orientation: kept ${ranked[0][1].length} instance(s) with ${ranked[0][0]}; ignored ${ranked
        .slice(1)
        .map(([k, v]) => `${v.length} with ${k}`)
        .join('; ')}`,
    );
    unique = ranked[0][1];
  }
  const first = unique[0].header;
  if (!first.orientation || !first.pixelSpacing) {
    return { seriesInstanceUid: uid, paths, reason: 'no ImageOrientationPatient/PixelSpacing: not a volumetric series' };
  }
  const rowDir: Vec3 = [first.orientation[0], first.orientation[1], first.orientation[2]];
  const colDir: Vec3 = [first.orientation[3], first.orientation[4], first.orientation[5]];
  const normal = cross(rowDir, colDir);
  const nn = norm(normal);
  if (nn < 0.5) return { seriesInstanceUid: uid, paths, reason: `ImageOrientationPatient ${first.orientation.join('\\')} has parallel row and column directions` };
  const unitNormal: Vec3 = [normal[0] / nn, normal[1] / nn, normal[2] / nn];

  const slices: SliceRef[] = [];
  for (const m of unique) {
    const positions = m.header.framePositions;
    if (!positions || positions.length !== m.header.frames) {
      if (m.header.frames === 1 && unique.length === 1 && !positions) {
        return { seriesInstanceUid: uid, paths, reason: 'no ImagePositionPatient: cannot place the slice in patient space' };
      }
      if (!positions) return { seriesInstanceUid: uid, paths, reason: `${m.path} has no ImagePositionPatient` };
      return { seriesInstanceUid: uid, paths, reason: `${m.path} has ${m.header.frames} frames but ${positions.length} frame positions` };
    }
    positions.forEach((position, frame) => slices.push({ path: m.path, sopInstanceUid: m.header.sopInstanceUid, frame, position, index: 0 }));
  }
  slices.sort((a, b) => dot(a.position, unitNormal) - dot(b.position, unitNormal));

  // Two slices at one position (e.g. a re-sent instance under a new UID) cannot both be in the volume.
  const deduped: SliceRef[] = [];
  for (const s of slices) {
    const prev = deduped[deduped.length - 1];
    if (prev && Math.abs(dot(s.position, unitNormal) - dot(prev.position, unitNormal)) < 1e-3) {
      warnings.push(`two slices at position ${dot(s.position, unitNormal).toFixed(3)} mm: kept ${prev.path}, ignored ${s.path}${s.frame ? ` frame ${s.frame}` : ''}`);
      continue;
    }
    deduped.push(s);
  }

  const steps = deduped.slice(1).map((s, i) => dot(sub(s.position, deduped[i].position), unitNormal));
  const sortedSteps = [...steps].sort((a, b) => a - b);
  const median = sortedSteps.length ? sortedSteps[Math.floor(sortedSteps.length / 2)] : first.sliceThickness ?? 1;
  let spacingZ = median;
  if (steps.length) {
    const gaps = steps.map((s, i) => ({ i, ratio: s / median })).filter((g) => g.ratio > 1.5);
    for (const g of gaps) {
      const missing = Math.round(g.ratio) - 1;
      warnings.push(`missing ${missing} slice(s) between positions ${dot(deduped[g.i].position, unitNormal).toFixed(2)} and ${dot(deduped[g.i + 1].position, unitNormal).toFixed(2)} mm (gap ${steps[g.i].toFixed(2)} mm, spacing ${median.toFixed(2)} mm); filled by interpolating the neighbouring slices`);
    }
    const regular = steps.filter((s) => s / median <= 1.5);
    const lo = Math.min(...regular);
    const hi = Math.max(...regular);
    if (hi - lo > SPACING_TOLERANCE * median) warnings.push(`non-uniform slice spacing: ${lo.toFixed(3)} to ${hi.toFixed(3)} mm (median ${median.toFixed(3)} mm used)`);
  } else {
    spacingZ = first.sliceThickness ?? 1;
  }

  // Grid index of each slice from its position, so a missing slice keeps its place in the volume (and
  // labels drawn on the complete grid still fit). Irregular spacing that would put two slices on one
  // index falls back to consecutive indices.
  const proj0 = deduped.length ? dot(deduped[0].position, unitNormal) : 0;
  let indices = deduped.map((s) => Math.round((dot(s.position, unitNormal) - proj0) / median));
  if (indices.some((k, i) => i > 0 && k <= indices[i - 1])) indices = deduped.map((_, i) => i);
  deduped.forEach((s, i) => (s.index = indices[i]));
  const gridSlices = deduped.length ? indices[indices.length - 1] + 1 : 0;

  let sliceDir: Vec3 = unitNormal;
  if (deduped.length > 1) {
    const span = sub(deduped[deduped.length - 1].position, deduped[0].position);
    const len = norm(span);
    const cos = dot(span, unitNormal) / len;
    const tiltDeg = (Math.acos(Math.min(1, Math.abs(cos))) * 180) / Math.PI;
    if (tiltDeg > 0.05) {
      warnings.push(`gantry tilt of ${tiltDeg.toFixed(2)} degrees (slices are sheared; the volume keeps the acquired, non-orthogonal grid)`);
      sliceDir = [span[0] / len, span[1] / len, span[2] / len];
      spacingZ = len / (gridSlices - 1);
    }
  } else if (first.gantryTilt && Math.abs(first.gantryTilt) > 0.05) {
    warnings.push(`gantry tilt of ${first.gantryTilt} degrees recorded in (0018,1120)`);
  }

  const folders = new Map<string, number>();
  for (const m of unique) folders.set(folderOf(m.path), (folders.get(folderOf(m.path)) ?? 0) + 1);
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
    slices: deduped,
    instances: unique,
    geometry: {
      size: [first.columns, first.rows, gridSlices],
      spacing: [first.pixelSpacing[1], first.pixelSpacing[0], spacingZ],
      origin: deduped[0].position,
      axes: [rowDir, colDir, sliceDir],
    },
    warnings,
  };
}
