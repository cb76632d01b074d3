/** What the reader needs to know about a transfer syntax: byte order and how pixel data is encoded. */
export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  /** null for native (uncompressed) pixel data; 'deflate': each frame's native bytes deflated (RFC 1951) */
  codec: null | 'rle' | 'deflate' | 'jpeg' | 'jpeg-ls' | 'jpeg2000';
  bigEndian: boolean;
  lossy: boolean;
}

const entries: TransferSyntaxInfo[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', codec: null, bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', codec: null, bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', codec: null, bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', codec: null, bigEndian: true, lossy: false },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', codec: 'rle', bigEndian: false, lossy: false },
  // PS3.5 A.4.11 (2024): meant for bit-packed SEG frames, which the image codecs compress poorly.
  { uid: '1.2.840.10008.1.2.8.1', name: 'Deflated Image Frame Compression', codec: 'deflate', bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', codec: 'jpeg', bigEndian: false, lossy: true },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg', bigEndian: false, lossy: true },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg', bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, First-Order Prediction (Process 14 SV1)', codec: 'jpeg', bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', codec: 'jpeg-ls', bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpeg-ls', bigEndian: false, lossy: true },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 (Lossless Only)', codec: 'jpeg2000', bigEndian: false, lossy: false },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', codec: 'jpeg2000', bigEndian: false, lossy: true },
];

const byUid = new Map(entries.map((e) => [e.uid, e]));

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return byUid.get(uid);
}
