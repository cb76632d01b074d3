import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VolumeGeometry } from '../../src/data/geometry.js';
import { resampledGeometry, resampledSize, resampleInPlane } from '../../src/data/resample.js';

const geometry: VolumeGeometry = {
  size: [4, 2, 1],
  spacing: [1, 2, 3],
  origin: [10, 20, 30],
  axes: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
};

describe('resampleInPlane', () => {
  it('linear, 4 -> 2 pixels: extent-aligned centres at source 0.5 and 2.5 (hand-derived)', () => {
    const out = resampleInPlane([0, 1, 2, 3, 10, 11, 12, 13], [4, 2, 1], [2, 2], 'linear');
    assert.deepEqual([...out], [0.5, 2.5, 10.5, 12.5]);
  });

  it('linear, 2 -> 4 pixels: edges clamp, inner pixels interpolate (-0.25 -> 0, 0.25, 0.75, 1.25 -> 1)', () => {
    const out = resampleInPlane([0, 4], [2, 1, 1], [4, 1], 'linear');
    assert.deepEqual([...out], [0, 1, 3, 4]);
  });

  it('is the identity when the size does not change', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i * 1.5);
    assert.deepEqual([...resampleInPlane(data, [4, 3, 2], [4, 3], 'linear')], [...data]);
  });

  it('nearest keeps label values and never invents one between two classes', () => {
    const labels = Uint8Array.from([0, 0, 2, 2, 0, 0, 2, 2]);
    const out = resampleInPlane(labels, [4, 2, 1], [7, 3], 'nearest');
    assert.ok([...out].every((v) => v === 0 || v === 2));
    assert.equal(out[0], 0);
    assert.equal(out[6], 2);
  });
});

describe('resampledGeometry', () => {
  it('keeps the physical extent: first and last voxel edges stay where they were', () => {
    const size = resampledSize(geometry, [2, 1]);
    assert.deepEqual(size, [2, 4, 1]);
    const g = resampledGeometry(geometry, size);
    assert.deepEqual(g.spacing, [2, 1, 3]);
    // Left edge: origin - spacing/2 is unchanged (10 - 0.5 = 10.5 - 1; 20 - 1 = 19.5 - 0.5).
    assert.deepEqual(g.origin, [10.5, 19.5, 30]);
  });
});
