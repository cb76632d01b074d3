/**
 * Bounds on what one DICOM file or one series may make SegFusion allocate. Every size read from a file is
 * checked against these before memory is allocated, so a small hostile or broken file is rejected with
 * its reason instead of exhausting the machine. The values are documented in docs/user-guide.md
 * ("Limits"); with them, what one file can make SegFusion allocate is bounded by the file's own size
 * (native data must be present, compressed frames decode to at most maxDecodeRatio times their size).
 */
export const LIMITS = {
  /** NumberOfFrames (0028,0008) of one file: enhanced CT/MR rarely exceed a few thousand. */
  maxFrames: 16_384,
  /** Stored samples (rows x columns x samples per pixel x frames) of one file: 2^28 (1,024 frames of 512 x 512). */
  maxSamplesPerFile: 2 ** 28,
  /**
   * A compressed frame decodes to at most this many times its own size (plus 1 MiB): lossless CT
   * compresses 2-4:1, so only a decompression bomb (a tiny stream declaring a huge image) is refused.
   */
  maxDecodeRatio: 1000,
  /** A deflated data set inflates to at most this many times its compressed size ... */
  maxInflateRatio: 64,
  /** ... and never beyond this many bytes, whatever the ratio. */
  maxInflatedBytes: 512 * 1024 * 1024,
  /** Voxels of one series' volume grid (e.g. 512 x 512 x 1024). */
  maxVolumeVoxels: 2 ** 28,
  /** Slices of one series' volume grid, interpolated ones included. */
  maxVolumeSlices: 4096,
  /** Missing slices interpolated in one gap; a larger gap splits the series into stacks. */
  maxInterpolatedGap: 2,
  /** Largest absolute modality-LUT value accepted (HU of CT are within +-32768; this allows floats). */
  maxAbsRescaled: 1e7,
} as const;

/** Bytes a deflated data set of `compressedBytes` may inflate to (see maxInflateRatio, maxInflatedBytes). */
export const inflateLimit = (compressedBytes: number): number => Math.min(LIMITS.maxInflatedBytes, Math.max(16 * 1024 * 1024, compressedBytes * LIMITS.maxInflateRatio));
