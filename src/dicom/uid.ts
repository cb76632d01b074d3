/**
 * A DICOM UID (PS3.5 9.1): components of digits separated by '.', at most 64 characters, no empty
 * component and no leading zero in a multi-digit component. Returns why `value` is not one, or null.
 * Leading zeros are tolerated (many archives have them and they harm nothing); anything else is refused,
 * because UIDs key the catalogue and must never carry separators or control characters.
 */
export function uidProblem(value: string): string | null {
  if (value.length === 0) return 'is empty';
  if (value.length > 64) return `has ${value.length} characters (at most 64)`;
  if (!/^[0-9.]+$/.test(value)) return 'has characters other than digits and "."';
  if (value.startsWith('.') || value.endsWith('.') || value.includes('..')) return 'has an empty component';
  return null;
}

/** Quoted value for messages: at most 80 characters, control characters escaped by JSON. */
export const quoteValue = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
