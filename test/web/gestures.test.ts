import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pinchZoom, swipeSlice, touchDistance } from '../../src/web/gestures.js';

describe('viewer touch gestures', () => {
  it('pages one slice per 12 px of vertical swipe, up to the next slices, rounding to the nearest', () => {
    for (const [startSlice, startY, y, want] of [
      [10, 300, 300, 10],
      [10, 300, 240, 15],
      [10, 300, 372, 4],
      [10, 300, 294, 11],
      [10, 300, 295, 10],
      [0, 500, 100, 33],
    ] as const)
      assert.equal(swipeSlice(startSlice, startY, y), want, `${startY} -> ${y}`);
    assert.equal(swipeSlice(5, 100, 50, 25), 7);
  });

  it('zooms by the ratio of the fingers distance to where the pinch began', () => {
    const d = touchDistance({ clientX: 0, clientY: 0 }, { clientX: 30, clientY: 40 });
    assert.equal(d, 50);
    for (const [startZoom, from, to, want] of [
      [1, 50, 150, 3],
      [2, 100, 50, 1],
      [1.5, 80, 80, 1.5],
      [1, 0, 100, 1],
    ] as const)
      assert.equal(pinchZoom(startZoom, from, to), want, `${startZoom} x ${from} -> ${to}`);
  });
});
