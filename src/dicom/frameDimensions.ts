/**
 * Width and height an encoded frame declares in its own header: the SOF segment of JPEG (ITU T.81
 * B.2.2; SOF55 of JPEG-LS, T.87), the SIZ segment of a JPEG 2000 codestream (T.800 A.5.1). Read before
 * decoding, so a frame whose size disagrees with Rows/Columns is refused before the codec allocates for
 * it. Returns null when the header cannot be found (the codec then reports the damage).
 */
export function encodedFrameSize(frame: Uint8Array, codec: 'jpeg' | 'jpeg-ls' | 'jpeg2000'): { width: number; height: number } | null {
  const u16 = (i: number) => (frame[i] << 8) | frame[i + 1];
  const u32 = (i: number) => ((frame[i] << 24) | (frame[i + 1] << 16) | (frame[i + 2] << 8) | frame[i + 3]) >>> 0;
  if (frame.length < 4 || frame[0] !== 0xff) return null;
  if (codec === 'jpeg2000') {
    if (u16(0) !== 0xff4f || u16(2) !== 0xff51 || frame.length < 24) return null;
    // SIZ: Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4)
    return { width: u32(8) - u32(16), height: u32(12) - u32(20) };
  }
  // Marker segments after SOI: FFxx then a 2-byte length, until a start-of-frame marker.
  let i = 2;
  while (i + 4 <= frame.length) {
    if (frame[i] !== 0xff) return null;
    const marker = frame[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const sof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (sof) return i + 9 <= frame.length ? { height: u16(i + 5), width: u16(i + 7) } : null;
    if (marker === 0xda || marker === 0xd9) return null; // scan or end before any frame header
    i += 2 + u16(i + 2);
  }
  return null;
}
