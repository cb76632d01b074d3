import { randomUUID } from 'node:crypto';
import type { VolumeGeometry } from '../data/geometry.js';
import { decodedText } from './charset.js';
import type { DataSet } from './parse.js';
import { SEGMENTATION_STORAGE } from './seg.js';
import { rgbToDicomLab, type Code, type SegmentCoding } from './segmentCodes.js';
import { writeDicomPart10, type DicomElement } from './writer.js';

/** UIDs under the ISO 2.25 root (a UUID as one integer): unique without a registered organisation root. */
export const newUid = (): string => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;

export interface SegSource {
  /** A data set of the source series: patient, study and frame-of-reference attributes are copied from it. */
  dataSet: DataSet;
  seriesInstanceUid: string;
  /** SOP Class and Instance UID of the image at each slice index (null for a slice that was interpolated). */
  slices: ({ sopClassUid: string; sopInstanceUid: string } | null)[];
}

export interface SegContent {
  /** Class index per voxel on the source series' grid, i fastest. */
  labels: Uint8Array;
  geometry: VolumeGeometry;
  /** Segment number (= class index), label, codes and colour of each foreground class to write. */
  segments: { number: number; label: string; coding: SegmentCoding }[];
  algorithm: { name: string; version: string };
  seriesDescription?: string;
}

const COPIED_TAGS: [number, string][] = [
  [0x00100010, 'PN'], // PatientName
  [0x00100020, 'LO'], // PatientID
  [0x00100030, 'DA'], // PatientBirthDate
  [0x00100040, 'CS'], // PatientSex
  [0x0020000d, 'UI'], // StudyInstanceUID
  [0x00080020, 'DA'], // StudyDate
  [0x00080030, 'TM'], // StudyTime
  [0x00080090, 'PN'], // ReferringPhysicianName
  [0x00200010, 'SH'], // StudyID
  [0x00080050, 'SH'], // AccessionNumber
  [0x00081030, 'LO'], // StudyDescription
  [0x00200052, 'UI'], // FrameOfReferenceUID
];

const tagKey = (tag: number) => `x${tag.toString(16).padStart(8, '0')}`;
const code = (value: string, scheme: string, meaning: string): DicomElement[][] => [
  [
    { tag: 0x00080100, vr: 'SH', value },
    { tag: 0x00080102, vr: 'SH', value: scheme },
    { tag: 0x00080104, vr: 'LO', value: meaning },
  ],
];
const coded = (c: Code) => code(c.code, c.scheme, c.meaning);

/** One Segment Sequence item: codes (category, type, region), display colour, and the algorithm. */
function segmentItem(s: SegContent['segments'][number], algorithm: SegContent['algorithm']): DicomElement[] {
  const items: DicomElement[] = [
    { tag: 0x00620003, vr: 'SQ', value: coded(s.coding.category) },
    { tag: 0x00620004, vr: 'US', value: s.number },
    { tag: 0x00620005, vr: 'LO', value: s.label },
    { tag: 0x00620008, vr: 'CS', value: 'AUTOMATIC' },
    { tag: 0x00620009, vr: 'LO', value: `${algorithm.name} ${algorithm.version}`.slice(0, 64) },
    { tag: 0x0062000d, vr: 'US', value: rgbToDicomLab(s.coding.color) },
    { tag: 0x0062000f, vr: 'SQ', value: coded(s.coding.type) },
  ];
  if (s.coding.region) items.push({ tag: 0x00082218, vr: 'SQ', value: coded(s.coding.region) });
  return items;
}

/**
 * Writes a BINARY DICOM Segmentation (PS3.3 A.51) of a label map on its source series' grid: one frame
 * per segment and slice where the segment occurs, each referencing its source image, with plane
 * position and orientation, bits packed as one continuous stream (PS3.5 8.1.1). Patient and study
 * attributes are copied from the source, so PACS viewers file it with the images. Each segment carries
 * its SNOMED CT category and type (and region), a recommended display colour and the algorithm's name
 * and version, as OHIF and 3D Slicer expect. A prediction with no
 * foreground at all still gets one empty frame, since a SEG needs at least one.
 */
export function writeSegmentation(source: SegSource, content: SegContent): Buffer {
  const g = content.geometry;
  const [nx, ny, nz] = g.size;
  const plane = nx * ny;
  const frames: { segment: number; slice: number }[] = [];
  for (const s of content.segments) {
    for (let k = 0; k < nz; k++) {
      const base = k * plane;
      for (let p = 0; p < plane; p++) {
        if (content.labels[base + p] === s.number) {
          frames.push({ segment: s.number, slice: k });
          break;
        }
      }
    }
  }
  if (frames.length === 0) frames.push({ segment: content.segments[0].number, slice: 0 });
  const bits = new Uint8Array(Math.ceil((frames.length * plane) / 8));
  frames.forEach((f, n) => {
    const base = f.slice * plane;
    for (let p = 0; p < plane; p++) {
      if (content.labels[base + p] !== f.segment) continue;
      const bit = n * plane + p;
      bits[bit >> 3] |= 1 << (bit & 7);
    }
  });
  const position = (k: number) => [0, 1, 2].map((r) => g.origin[r] + k * g.spacing[2] * g.axes[2][r]);
  const sopInstanceUid = newUid();
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  // Text is decoded with the source's character set and written as UTF-8 (ISO_IR 192, declared below).
  const copied: DicomElement[] = COPIED_TAGS.map(([tag, vr]) => ({ tag, vr, value: decodedText(source.dataSet, tagKey(tag)) ?? '' }));
  const referenced = source.slices.filter((s): s is NonNullable<typeof s> => s !== null);
  const dimensionOrganization = newUid();
  const elements: DicomElement[] = [
    ...copied,
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080008, vr: 'CS', value: 'DERIVED\\PRIMARY' },
    { tag: 0x00080016, vr: 'UI', value: SEGMENTATION_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: sopInstanceUid },
    { tag: 0x00080023, vr: 'DA', value: date },
    { tag: 0x00080033, vr: 'TM', value: time },
    { tag: 0x00080060, vr: 'CS', value: 'SEG' },
    { tag: 0x00080070, vr: 'LO', value: 'SegFusion' },
    { tag: 0x0008103e, vr: 'LO', value: content.seriesDescription ?? `SegFusion ${content.algorithm.name}` },
    { tag: 0x00081090, vr: 'LO', value: 'SegFusion' },
    {
      tag: 0x00081115,
      vr: 'SQ',
      value: [
        [
          { tag: 0x0020000e, vr: 'UI', value: source.seriesInstanceUid },
          {
            tag: 0x0008114a,
            vr: 'SQ',
            value: referenced.map((r) => [
              { tag: 0x00081150, vr: 'UI', value: r.sopClassUid },
              { tag: 0x00081155, vr: 'UI', value: r.sopInstanceUid },
            ]),
          },
        ],
      ],
    },
    { tag: 0x00181000, vr: 'LO', value: '1' },
    { tag: 0x00181020, vr: 'LO', value: content.algorithm.version },
    { tag: 0x0020000e, vr: 'UI', value: newUid() },
    { tag: 0x00200011, vr: 'IS', value: 999 },
    { tag: 0x00200013, vr: 'IS', value: 1 },
    { tag: 0x00201040, vr: 'LO', value: '' },
    { tag: 0x00209221, vr: 'SQ', value: [[{ tag: 0x00209164, vr: 'UI', value: dimensionOrganization }]] },
    {
      tag: 0x00209222,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00209164, vr: 'UI', value: dimensionOrganization },
          { tag: 0x00209165, vr: 'AT', value: new Uint16Array([0x0062, 0x000b]) },
          { tag: 0x00209167, vr: 'AT', value: new Uint16Array([0x0062, 0x000a]) },
          { tag: 0x00209421, vr: 'LO', value: 'Segment' },
        ],
        [
          { tag: 0x00209164, vr: 'UI', value: dimensionOrganization },
          { tag: 0x00209165, vr: 'AT', value: new Uint16Array([0x0020, 0x0032]) },
          { tag: 0x00209167, vr: 'AT', value: new Uint16Array([0x0020, 0x9113]) },
          { tag: 0x00209421, vr: 'LO', value: 'Position' },
        ],
      ],
    },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280008, vr: 'IS', value: frames.length },
    { tag: 0x00280010, vr: 'US', value: ny },
    { tag: 0x00280011, vr: 'US', value: nx },
    { tag: 0x00280100, vr: 'US', value: 1 },
    { tag: 0x00280101, vr: 'US', value: 1 },
    { tag: 0x00280102, vr: 'US', value: 0 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x00282110, vr: 'CS', value: '00' },
    { tag: 0x00620001, vr: 'CS', value: 'BINARY' },
    {
      tag: 0x00620002,
      vr: 'SQ',
      value: content.segments.map((s) => segmentItem(s, content.algorithm)),
    },
    { tag: 0x00700080, vr: 'CS', value: 'SEGFUSION' },
    { tag: 0x00700081, vr: 'LO', value: `Automatic segmentation by ${content.algorithm.name}` },
    { tag: 0x00700084, vr: 'PN', value: '' },
    {
      tag: 0x52009229,
      vr: 'SQ',
      value: [
        [
          {
            tag: 0x00289110,
            vr: 'SQ',
            value: [
              [
                { tag: 0x00280030, vr: 'DS', value: [g.spacing[1], g.spacing[0]] },
                { tag: 0x00180050, vr: 'DS', value: g.spacing[2] },
                { tag: 0x00180088, vr: 'DS', value: g.spacing[2] },
              ],
            ],
          },
          { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: [...g.axes[0], ...g.axes[1]] }]] },
        ],
      ],
    },
    {
      tag: 0x52009230,
      vr: 'SQ',
      value: frames.map((f) => {
        const src = source.slices[f.slice];
        const items: DicomElement[] = [
          { tag: 0x00209111, vr: 'SQ', value: [[{ tag: 0x00209157, vr: 'UL', value: [f.segment, f.slice + 1] }]] },
          { tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: position(f.slice) }]] },
          { tag: 0x0062000a, vr: 'SQ', value: [[{ tag: 0x0062000b, vr: 'US', value: f.segment }]] },
        ];
        if (src) {
          items.push({
            tag: 0x00089124,
            vr: 'SQ',
            value: [
              [
                {
                  tag: 0x00082112,
                  vr: 'SQ',
                  value: [
                    [
                      { tag: 0x00081150, vr: 'UI', value: src.sopClassUid },
                      { tag: 0x00081155, vr: 'UI', value: src.sopInstanceUid },
                      { tag: 0x0040a170, vr: 'SQ', value: code('121322', 'DCM', 'Source image for image processing operation') },
                    ],
                  ],
                },
                { tag: 0x00089215, vr: 'SQ', value: code('113076', 'DCM', 'Segmentation') },
              ],
            ],
          });
        }
        return items;
      }),
    },
    { tag: 0x7fe00010, vr: 'OB', value: bits },
  ];
  return writeDicomPart10(elements, SEGMENTATION_STORAGE, sopInstanceUid);
}
