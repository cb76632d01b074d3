import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceHeader } from '../../src/dicom/header.js';
import { planSeries, type InstanceRef } from '../../src/dicom/series.js';

function slice(n: number, position: [number, number, number], over: Partial<InstanceHeader> = {}): InstanceRef {
  return {
    path: `/in/s/IM${String(100 - n).padStart(3, '0')}`,
    header: {
      version: 3,
      sopInstanceUid: `1.2.3.${n}`,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      studyInstanceUid: '1.2.3',
      seriesInstanceUid: '1.2.3.4',
      patientId: 'P1',
      studyDate: null,
      studyDescription: null,
      seriesDescription: null,
      modality: 'CT',
      imageType: null,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      instanceNumber: 50 - n,
      rows: 4,
      columns: 4,
      frames: 1,
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      rescaleSlope: 1,
      rescaleIntercept: -1024,
      orientation: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.5, 0.7],
      framePositions: [position],
      sliceThickness: 2,
      gantryTilt: null,
      hasPixelData: true,
      frameRescale: null,
      frameGeometryProblem: null,
      ...over,
    },
  };
}

const plan = (refs: InstanceRef[]) => planSeries(refs, () => '/in/s');

describe('planSeries', () => {
  it('orders slices by position along the normal, not by instance number or file name', () => {
    const zs = [6, 0, 4, 2, 8];
    const { plans } = plan(zs.map((z, n) => slice(n, [0, 0, z])));
    assert.deepEqual(
      plans[0].slices.map((s) => s.position[2]),
      [0, 2, 4, 6, 8],
    );
    assert.deepEqual(plans[0].geometry.spacing, [0.7, 0.5, 2]);
    assert.deepEqual(plans[0].geometry.size, [4, 4, 5]);
    assert.deepEqual(plans[0].warnings, []);
  });

  it('projects on the normal for oblique and sagittal orientations', () => {
    // Sagittal: rows along +y, columns along -z; normal = y x -z = -x.
    const { plans } = plan([3, 1, 2].map((x, n) => slice(n, [x, 0, 0], { orientation: [0, 1, 0, 0, 0, -1] })));
    assert.deepEqual(
      plans[0].slices.map((s) => s.position[0]),
      [3, 2, 1],
    );
  });

  const WARNINGS: [string, InstanceRef[], RegExp][] = [
    ['a missing slice', [0, 2, 6, 8].map((z, n) => slice(n, [0, 0, z])), /missing 1 slice\(s\) between positions 2.00 and 6.00/],
    ['non-uniform spacing', [0, 2, 4.5, 6.5].map((z, n) => slice(n, [0, 0, z])), /non-uniform slice spacing: 2.000 to 2.500 mm/],
    ['a duplicate SOPInstanceUID', [slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), { ...slice(2, [0, 0, 2]), path: '/in/s/copy' }], /duplicate SOPInstanceUID 1.2.3.2/],
    ['two slices at one position', [slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), slice(3, [0, 0, 2])], /two slices at position 2.000/],
    ['mixed image sizes', [slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), slice(3, [0, 0, 4], { rows: 8 })], /mixed image size or orientation: kept 2/],
    ['gantry tilt', [0, 1, 2].map((k) => slice(k, [0, k * 0.5, k * 2])), /gantry tilt of 14.04 degrees/],
  ];
  for (const [name, refs, pattern] of WARNINGS) {
    it(`records ${name}`, () => {
      const { plans } = plan(refs);
      assert.ok(
        plans[0].warnings.some((w) => pattern.test(w)),
        plans[0].warnings.join('\n'),
      );
    });
  }

  it('keeps a missing slice as a gap in the grid', () => {
    const { plans } = plan([0, 2, 6, 8].map((z, n) => slice(n, [0, 0, z])));
    assert.deepEqual(
      plans[0].slices.map((s) => s.index),
      [0, 1, 3, 4],
    );
    assert.equal(plans[0].geometry.size[2], 5);
    assert.equal(plans[0].geometry.spacing[2], 2);
  });

  it('keeps the acquired, sheared grid for a tilted series', () => {
    const { plans } = plan([0, 1, 2].map((k) => slice(k, [0, k * 0.5, k * 2])));
    const [, dy, dz] = plans[0].geometry.axes[2];
    assert.ok(Math.abs(dy / dz - 0.25) < 1e-12);
    assert.ok(Math.abs(plans[0].geometry.spacing[2] - Math.hypot(0.5, 2)) < 1e-12);
  });

  it('treats a multi-frame instance as a volume', () => {
    const mf = slice(1, [0, 0, 0], {
      frames: 3,
      framePositions: [
        [0, 0, 4],
        [0, 0, 0],
        [0, 0, 2],
      ],
    });
    const { plans } = plan([mf]);
    assert.deepEqual(
      plans[0].slices.map((s) => s.frame),
      [1, 2, 0],
    );
    assert.equal(plans[0].geometry.size[2], 3);
  });

  it('rejects a series without geometry', () => {
    const { plans, problems } = plan([slice(1, [0, 0, 0], { orientation: null })]);
    assert.equal(plans.length, 0);
    assert.match(problems[0].reason, /not a volumetric series/);
  });

  it('refuses to merge files of two patients under one SeriesInstanceUID', () => {
    const { plans, problems } = plan([slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), slice(3, [0, 0, 4], { patientId: 'P2' })]);
    assert.equal(plans.length, 0);
    assert.match(problems[0].reason, /shared by files of different patients \("P1": 2 file\(s\), "P2": 1 file\(s\)\); refusing to merge/);
    assert.equal(problems[0].severity, 'error');
  });

  it('keeps the majority pixel spacing and names each file left out', () => {
    const { plans } = plan([slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), slice(3, [0, 0, 4], { pixelSpacing: [0.9, 0.9] })]);
    assert.equal(plans[0].slices.length, 2);
    assert.equal(plans[0].dropped.length, 1);
    assert.match(plans[0].dropped[0].reason, /spacing 0\.9000x0\.9000 differs from the 2 instance\(s\) kept/);
  });

  const GAPS: [string, number[], number, number][] = [
    // name, positions, slices kept, grid slices
    ['two missing slices: interpolated', [0, 2, 8, 10], 4, 6],
    ['three missing slices: split, the larger stack kept', [0, 2, 4, 12, 14], 3, 3],
    ['one slice 100 m away: split off', [0, 2, 4, 6, 100_000], 4, 4],
  ];
  for (const [name, zs, kept, grid] of GAPS) {
    it(`gaps: ${name}`, () => {
      const { plans } = plan(zs.map((z, n) => slice(n, [0, 0, z])));
      assert.equal(plans[0].slices.length, kept);
      assert.equal(plans[0].geometry.size[2], grid);
      assert.equal(plans[0].dropped.length, zs.length - kept);
    });
  }

  it('leaves localizers out of the volumes, with a note', () => {
    const tagged = plan([slice(1, [0, 0, 0], { imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER' })]);
    assert.equal(tagged.plans.length, 0);
    assert.equal(tagged.problems[0].severity, 'note');
    const threePlanes = plan([slice(1, [0, 0, 0]), slice(2, [0, 0, 0], { orientation: [0, 1, 0, 0, 0, -1] }), slice(3, [0, 0, 0], { orientation: [1, 0, 0, 0, 0, -1] })]);
    assert.equal(threePlanes.plans.length, 0);
    assert.match(threePlanes.problems[0].reason, /3 single images of different size, orientation or spacing \(a multi-plane localizer or scout\)/);
    const mixed = plan([slice(1, [0, 0, 0]), slice(2, [0, 0, 2]), slice(3, [0, 0, 4], { imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER' })]);
    assert.equal(mixed.plans[0].slices.length, 2);
    assert.match(mixed.plans[0].dropped[0].reason, /localizer/);
  });

  it('drops a slice without a position instead of the series', () => {
    const { plans } = plan([0, 2, 4, 6, 8, 10].map((z, n) => slice(n, [0, 0, z], z === 6 ? { framePositions: null } : {})));
    assert.equal(plans[0].geometry.size[2], 6);
    assert.equal(plans[0].slices.length, 5);
    assert.match(plans[0].dropped[0].reason, /no usable ImagePositionPatient/);
  });

  it('refuses a grid beyond the voxel limit', () => {
    const { problems } = plan([
      slice(1, [0, 0, 0], { rows: 8192, columns: 8192 }),
      slice(2, [0, 0, 2], { rows: 8192, columns: 8192 }),
      slice(3, [0, 0, 4], { rows: 8192, columns: 8192 }),
      slice(4, [0, 0, 6], { rows: 8192, columns: 8192 }),
      slice(5, [0, 0, 8], { rows: 8192, columns: 8192 }),
    ]);
    assert.match(problems[0].reason, /8192x8192x5 \(335544320 voxels\), beyond the limits/);
  });
});
