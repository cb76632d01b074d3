import { z } from 'zod';

type RawIssue = z.core.$ZodRawIssue;

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : Array.isArray(v) ? 'a list' : typeof v);

/**
 * Edit distance with adjacent transpositions (optimal string alignment, case-insensitive): "modle" is
 * one edit from "model", as people mistype.
 */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[x.length][y.length];
}

/** The closest of `candidates` to `word`, when it is close enough to be a typo (at most a third of its letters off). */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: { c: string; d: number } | null = null;
  for (const c of candidates) {
    const d = distance(word, c);
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.c : null;
}

/** Whole numbers on either side of x, for "try 2 or 3". */
const neighbours = (x: number, step: number): string => {
  const below = Math.floor(x / step) * step;
  return below === x ? String(x) : below > 0 ? `${below} or ${below + step}` : String(below + step);
};

/**
 * zod's issues in plain words, each with the value it got and, where one follows from the rule, a valid
 * value to try: "must be at least 1 (got 0): try 1", "must be a whole number (got 2.5): try 2 or 3",
 * "unknown field "modle": did you mean "model"?", "must be one of "poly", "cosine", "constant" (got
 * "linear")". A schema's own message wins over these (zod's precedence), so rules written with one, such
 * as the run config's cross-field checks, keep it. Installed once for the process (installPlainMessages).
 */
export function plainMessage(issue: RawIssue): string | undefined {
  const got = issue.input === undefined ? '' : ` (got ${show(issue.input)})`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int') return `must be a whole number${got}${typeof issue.input === 'number' && Number.isFinite(issue.input) ? `: try ${neighbours(issue.input, 1)}` : ''}`;
      return `must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}${got}`;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive === false ? `must be above ${min}${got}` : `must be at least ${min}${got}: try ${min}`;
      const unit = issue.origin === 'string' ? 'character' : 'item';
      return `must have at least ${min} ${unit}${min === 1 ? '' : 's'}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive === false ? `must be below ${max}${got}` : `must be at most ${max}${got}: try ${max}`;
      const unit = issue.origin === 'string' ? 'character' : 'item';
      return `must have at most ${max} ${unit}${max === 1 ? '' : 's'}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}${got}${typeof issue.input === 'number' ? `: try ${neighbours(issue.input, issue.divisor)}` : ''}`;
    case 'invalid_value': {
      const options = issue.values.map((v) => show(v));
      const typo = typeof issue.input === 'string' ? closest(issue.input, issue.values.map(String)) : null;
      return `must be ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}${got}${typo ? `: did you mean ${JSON.stringify(typo)}?` : ''}`;
    }
    case 'unrecognized_keys': {
      const known = Object.keys((issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {});
      return issue.keys
        .map((k) => {
          const typo = closest(k, known);
          return `unknown field ${JSON.stringify(k)}${typo ? `: did you mean ${JSON.stringify(typo)}?` : known.length ? ` (fields here: ${known.join(', ')})` : ''}`;
        })
        .join('; ');
    }
    default:
      return undefined;
  }
}

let installed = false;

/** Makes plainMessage zod's message for every schema of this process (idempotent). */
export function installPlainMessages(): void {
  if (installed) return;
  z.config({ customError: plainMessage });
  installed = true;
}
