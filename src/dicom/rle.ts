import { DicomError } from './errors.js';

/**
 * Decodes one RLE Lossless frame (DICOM PS3.5 Annex G) into native little-endian bytes, interleaved
 * samples. The frame holds one segment per byte plane: for 16-bit data the most significant byte of
 * every pixel comes first, and for colour all planes of sample 0 precede sample 1.
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bitsAllocated: number): Uint8Array {
  if (frame.length < 64) throw new DicomError(`RLE frame is ${frame.length} bytes, shorter than its 64-byte header`, 'decode-failed');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  const expected = bytesPerSample * samplesPerPixel;
  if (segments !== expected) {
    throw new DicomError(`RLE frame has ${segments} segments, expected ${expected} for ${samplesPerPixel} sample(s) of ${bitsAllocated} bits`, 'decode-failed');
  }
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || start > end) {
      throw new DicomError(`RLE segment ${s} offsets ${start}..${end} fall outside the ${frame.length}-byte frame`, 'decode-failed');
    }
    const sample = Math.floor(s / bytesPerSample);
    // Segment order is most significant byte first; in little-endian output that is the last byte.
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++] << 24) >> 24;
      if (n >= 0) {
        const count = Math.min(n + 1, pixels - written, end - i);
        for (let c = 0; c < count; c++, o += stride) out[o] = frame[i + c];
        i += n + 1;
        written += count;
      } else if (n !== -128) {
        const count = Math.min(1 - n, pixels - written);
        const value = frame[i++];
        for (let c = 0; c < count; c++, o += stride) out[o] = value;
        written += count;
      }
    }
    if (written < pixels) throw new DicomError(`RLE segment ${s} decoded ${written} of ${pixels} pixels`, 'decode-failed');
  }
  return out;
}
