/** Leaf values of a run config by dotted path ("sampling.patchSize"); arrays are one leaf each. */
export function flattenConfig(obj: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, obj);
  return out;
}
