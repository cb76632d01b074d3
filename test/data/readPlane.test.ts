import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VolumeGeometry } from '../../src/data/geometry.js';
import { writeVolume } from '../../src/data/volumeCache.js';
import { planeLayout, readPlane, type Plane } from '../../src/data/volumeSlices.js';
import { tempDir } from '../helpers.js';

describe('readPlane', () => {
  // 3 x 4 x 5 voxels, value = 100 i + 10 j + k, so every read names where it came from.
  const g: VolumeGeometry = {
    size: [3, 4, 5],
    spacing: [0.7, 0.8, 2.5],
    origin: [0, 0, 0],
    axes: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  };
  const data = new Int16Array(60);
  for (let k = 0; k < 5; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 3; i++) data[(k * 4 + j) * 3 + i] = 100 * i + 10 * j + k;
  const file = writeVolume(tempDir('plane'), 'v.image', 'image', g, data);
  // Expected value at (column c, row r) of each plane: reformats put the last slice on top.
  const CASES: [Plane, number, (c: number, r: number) => number, [number, number], [number, number]][] = [
    ['axial', 2, (c, r) => 100 * c + 10 * r + 2, [3, 4], [0.7, 0.8]],
    ['coronal', 1, (c, r) => 100 * c + 10 * 1 + (4 - r), [3, 5], [0.7, 2.5]],
    ['sagittal', 2, (c, r) => 100 * 2 + 10 * c + (4 - r), [4, 5], [0.8, 2.5]],
  ];
  for (const [plane, index, value, size, spacing] of CASES) {
    it(`reads ${plane} slice ${index} with its size and spacing`, () => {
      const layout = planeLayout(g, plane);
      assert.deepEqual([layout.width, layout.height], size);
      assert.deepEqual(layout.spacing, spacing);
      const img = readPlane<Int16Array>(file, plane, index);
      const want = Int16Array.from({ length: size[0] * size[1] }, (_, p) => value(p % size[0], Math.floor(p / size[0])));
      assert.deepEqual([...img], [...want]);
    });
  }
  it('refuses an index outside the plane', () => assert.throws(() => readPlane(file, 'sagittal', 3), /sagittal slice 3 is outside 0..2/));
});
