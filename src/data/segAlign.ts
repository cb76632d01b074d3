import type { Segmentation } from '../dicom/seg.js';
import { dot, sub, type VolumeGeometry } from './geometry.js';
import { LabelMismatchError } from './labelAlign.js';

/**
 * Paints a DICOM SEG onto its series' voxel grid: each frame goes to the slice of the source instance it
 * references, or else to the slice at its plane position. Overlapping segments keep the higher segment
 * number (smaller structures are usually numbered later) and are counted in the warnings.
 */
export function segToLabelVolume(seg: Segmentation, geometry: VolumeGeometry, sliceBySop: Map<string, number>): { data: Uint8Array; warnings: string[] } {
  const [nx, ny, nz] = geometry.size;
  if (seg.columns !== nx || seg.rows !== ny) {
    throw new LabelMismatchError(`SEG frames are ${seg.columns}x${seg.rows}, the series slices ${nx}x${ny}`);
  }
  const pixels = nx * ny;
  const data = new Uint8Array(pixels * nz);
  let overlaps = 0;
  seg.frames.forEach((frame, f) => {
    let k = frame.referencedSopInstanceUid ? sliceBySop.get(frame.referencedSopInstanceUid) : undefined;
    if (k === undefined && frame.position) {
      const d = sub(frame.position, geometry.origin);
      const inPlane = [dot(d, geometry.axes[0]), dot(d, geometry.axes[1])];
      const along = dot(d, geometry.axes[2]) / geometry.spacing[2];
      if (Math.max(Math.abs(inPlane[0]), Math.abs(inPlane[1])) > 0.01 * geometry.spacing[0] || Math.abs(along - Math.round(along)) > 0.1) {
        throw new LabelMismatchError(
          `SEG frame ${f + 1} at (${frame.position.map((v) => v.toFixed(2)).join(', ')}) is off the series grid: in-plane offset ${inPlane.map((v) => v.toFixed(2)).join(', ')} mm, ${(Math.abs(along - Math.round(along)) * geometry.spacing[2]).toFixed(2)} mm between slices`,
        );
      }
      k = Math.round(along);
    }
    if (k === undefined) throw new LabelMismatchError(`SEG frame ${f + 1} references no instance of the series and has no plane position`);
    if (k < 0 || k >= nz) throw new LabelMismatchError(`SEG frame ${f + 1} falls on slice ${k}, outside the series' ${nz} slices`);
    const base = k * pixels;
    for (let p = 0; p < pixels; p++) {
      if (!frame.mask[p]) continue;
      const prev = data[base + p];
      if (prev && prev !== frame.segmentNumber) overlaps++;
      if (frame.segmentNumber > prev) data[base + p] = frame.segmentNumber;
    }
  });
  return { data, warnings: overlaps ? [`${overlaps} voxel(s) belong to more than one segment; the higher segment number was kept`] : [] };
}
