/** Chart series and what is computed on them before drawing (no uPlot here: unit-tested in Node). */

const PALETTE = ['#2a62c9', '#d9534f', '#2e9e55', '#e69f00', '#8e44ad', '#17a2b8', '#6c757d', '#c2185b'];
export const color = (i: number) => PALETTE[i % PALETTE.length];

export interface Series {
  label: string;
  values: (number | null)[];
  dash?: boolean;
  /** A fixed colour (e.g. the loss term's own, the same on every chart); default by position. */
  color?: string;
}

/** One fixed colour per name (loss terms, classes), the same on every chart of the page. */
export function colorFor(names: readonly string[], name: string): string {
  const i = names.indexOf(name);
  return i < 0 ? '#333' : color(i + 1);
}

/** EMA smoothing of a series (factor in [0, 1)), skipping gaps; what TensorBoard's slider does. */
export function smooth(values: (number | null)[], factor: number): (number | null)[] {
  if (factor <= 0) return values;
  let last: number | null = null;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last === null ? v : factor * last + (1 - factor) * v;
    return last;
  });
}
