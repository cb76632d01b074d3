/** A file that cannot be read as DICOM or whose pixels cannot be decoded; the message names the reason. */
export class DicomError extends Error {
  override name = 'DicomError';
  constructor(
    message: string,
    readonly code: 'not-dicom' | 'truncated' | 'malformed' | 'no-pixel-data' | 'unsupported-syntax' | 'decode-failed' | 'inconsistent',
  ) {
    super(message);
  }
}

/** The reason recorded for a file that failed, always starting with the file's path. */
export function failureReason(file: string, err: unknown): string {
  const text = describeThrown(err);
  return text.startsWith(file) ? text : `${file}: ${text}`;
}

/** dicom-parser throws plain strings as well as Errors; keep the text either way. */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'exception' in err) return String((err as { exception: unknown }).exception);
  return String(err);
}
