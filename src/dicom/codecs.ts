import { createRequire } from 'node:module';
import type Codecs from 'dcmjs-codecs';
import { DicomError, describeThrown } from './errors.js';
import { encodedFrameSize } from './frameDimensions.js';
import { transferSyntaxInfo, type TransferSyntaxInfo } from './transferSyntax.js';

type CodecLibrary = typeof Codecs;

let ready: Promise<void> | undefined;
let library: CodecLibrary | undefined;

/** initCodecs() when any of these transfer syntaxes needs the codecs (RLE and native data do not). */
export async function initCodecsFor(transferSyntaxUids: Iterable<string>): Promise<void> {
  for (const uid of transferSyntaxUids) {
    const codec = transferSyntaxInfo(uid)?.codec;
    if (codec === 'jpeg' || codec === 'jpeg-ls' || codec === 'jpeg2000') return initCodecs();
  }
}

/**
 * Loads the codec WebAssembly (dcmtk's IJG 8/12/16-bit JPEG incl. lossless, CharLS, OpenJPEG) once per
 * process, on first need: its JavaScript and WebAssembly cost about 75 ms of CPU per thread, which every
 * CLI command and every ingest worker paid up front even for uncompressed data. Its logger is silenced:
 * failures surface as DicomErrors instead.
 */
export function initCodecs(): Promise<void> {
  ready ??= (async () => {
    const lib = (await import('dcmjs-codecs')).default;
    const wasm = createRequire(import.meta.url).resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm');
    lib.log.setLevel('silent');
    await lib.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm, logCodecsInfo: false, logCodecsTrace: false });
    library = lib;
  })();
  return ready;
}

export interface FrameFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
}

/**
 * Decodes one compressed frame to native little-endian bytes. Colour JPEG frames come back as
 * interleaved RGB: the codec applies the YCbCr transform when the Photometric Interpretation says
 * YBR_*, and none when it says RGB, whatever the JPEG's own markers suggest (dcmtk's default rule,
 * which pydicom and GDCM follow too: an RGB file whose APP14 marker is cut short, so that libjpeg
 * would guess YCbCr from the component IDs, decodes to the stored RGB values). Callers see the
 * photometric of the values returned.
 */
export function decodeCompressedFrame(frame: Uint8Array, ts: TransferSyntaxInfo, f: FrameFormat): { bytes: Uint8Array; photometric: string; planar: number } {
  if (!library) throw new Error('codecs not initialised: await initCodecs() before decoding');
  const { NativeCodecs, Context } = library;
  const declared = ts.codec === 'jpeg' || ts.codec === 'jpeg-ls' || ts.codec === 'jpeg2000' ? encodedFrameSize(frame, ts.codec) : null;
  if (declared && (declared.width !== f.columns || declared.height !== f.rows)) {
    const header = ts.codec === 'jpeg2000' ? 'SIZ marker' : 'frame header';
    throw new DicomError(`${ts.name} frame: its ${header} says ${declared.width}x${declared.height} pixels but Columns x Rows (0028,0011)/(0028,0010) say ${f.columns}x${f.rows}`, 'inconsistent');
  }
  const ctx = new Context({
    width: f.columns,
    height: f.rows,
    bitsAllocated: f.bitsAllocated,
    bitsStored: f.bitsStored,
    samplesPerPixel: f.samplesPerPixel,
    pixelRepresentation: f.pixelRepresentation,
    planarConfiguration: f.planarConfiguration,
    photometricInterpretation: f.photometricInterpretation,
    encodedBuffer: frame,
  });
  const ybrJpeg = ts.codec === 'jpeg' && f.samplesPerPixel === 3 && f.photometricInterpretation.startsWith('YBR');
  let out: InstanceType<typeof Context>;
  try {
    if (ts.codec === 'jpeg') out = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: ybrJpeg });
    else if (ts.codec === 'jpeg-ls') out = NativeCodecs.decodeJpegLs(ctx, {});
    else if (ts.codec === 'jpeg2000') out = NativeCodecs.decodeJpeg2000(ctx, {});
    else throw new Error(`no codec for ${ts.name}`);
  } catch (err) {
    const text = describeThrown(err)
      .trim()
      .split(/\s*\n\s*/)
      .join('; ');
    // A WebAssembly trap ("unreachable", "memory access out of bounds") is the codec aborting on corrupt data.
    const why = err instanceof WebAssembly.RuntimeError ? `the codec aborted on corrupt compressed data (${text})` : text;
    throw new DicomError(`${ts.name} frame could not be decoded: ${why}`, 'decode-failed');
  }
  const bytes = out.getDecodedBuffer();
  const expected = f.rows * f.columns * f.samplesPerPixel * (f.bitsAllocated / 8);
  if (!bytes || bytes.length < expected) {
    throw new DicomError(`${ts.name} frame decoded to ${bytes?.length ?? 0} bytes, expected ${expected}`, 'decode-failed');
  }
  return {
    bytes: bytes.subarray(0, expected),
    photometric: ybrJpeg ? 'RGB' : (out.getPhotometricInterpretation() ?? f.photometricInterpretation),
    planar: out.getPlanarConfiguration() ?? f.planarConfiguration,
  };
}
