import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRleFrame } from '../../src/dicom/rle.js';

/** Hand-built RLE frames (PS3.5 G.3): header of segment count and offsets, then PackBits segments. */
function frame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return new Uint8Array([...header, ...segments.flat()]);
}

describe('decodeRleFrame', () => {
  const cases = [
    { name: 'literal run, 8-bit', segments: [[2, 10, 20, 30]], pixels: 3, spp: 1, bits: 8, expected: [10, 20, 30] },
    { name: 'replicate run, 8-bit', segments: [[-3 & 0xff, 7]], pixels: 4, spp: 1, bits: 8, expected: [7, 7, 7, 7] },
    { name: 'no-op byte -128 is skipped', segments: [[0x80, 1, 5, 6]], pixels: 2, spp: 1, bits: 8, expected: [5, 6] },
    // 16-bit: segment 0 holds high bytes, segment 1 low bytes; output is little-endian.
    {
      name: '16-bit byte planes',
      segments: [
        [1, 0x01, 0x02],
        [1, 0x34, 0x56],
      ],
      pixels: 2,
      spp: 1,
      bits: 16,
      expected: [0x34, 0x01, 0x56, 0x02],
    },
    {
      name: 'RGB planes interleaved',
      segments: [
        [1, 1, 2],
        [1, 3, 4],
        [1, 5, 6],
      ],
      pixels: 2,
      spp: 3,
      bits: 8,
      expected: [1, 3, 5, 2, 4, 6],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual([...decodeRleFrame(frame(c.segments), c.pixels, c.spp, c.bits)], c.expected));
  }
  it('rejects a frame whose segment count does not fit the pixel format', () => {
    assert.throws(() => decodeRleFrame(frame([[0, 1]]), 1, 1, 16), /1 segments, expected 2/);
  });
  it('rejects a segment that decodes too few pixels', () => {
    assert.throws(() => decodeRleFrame(frame([[0, 1]]), 3, 1, 8), /decoded 1 of 3 pixels/);
  });
});
