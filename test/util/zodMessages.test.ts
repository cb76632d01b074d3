import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { closest, installPlainMessages } from '../../src/util/zodMessages.js';

installPlainMessages();

const Schema = z.strictObject({
  epochs: z.number().int().min(1).max(100),
  rate: z.number().gt(0).lt(1),
  size: z.number().multipleOf(8),
  schedule: z.enum(['poly', 'cosine', 'constant']),
  name: z.string().min(2).max(5),
  tags: z.array(z.string()).min(1),
  labelled: z.string().regex(/^\d+$/, 'a label value, e.g. "2"'),
  nested: z.strictObject({ batchSize: z.number() }).optional(),
});
const valid = { epochs: 10, rate: 0.5, size: 16, schedule: 'poly', name: 'abc', tags: ['a'], labelled: '2' };

/** The one message for `patch` applied to a valid object. */
function message(patch: Record<string, unknown>): string {
  const r = Schema.safeParse({ ...valid, ...patch });
  assert.equal(r.success, false, JSON.stringify(patch));
  assert.equal(r.error?.issues.length, 1, JSON.stringify(r.error?.issues));
  return r.error?.issues[0].message ?? '';
}

describe('zod messages in plain words with a valid value to try', () => {
  const CASES: [string, Record<string, unknown>, string][] = [
    ['below an inclusive minimum', { epochs: 0 }, 'must be at least 1 (got 0): try 1'],
    ['above an inclusive maximum', { epochs: 101 }, 'must be at most 100 (got 101): try 100'],
    ['not a whole number', { epochs: 2.5 }, 'must be a whole number (got 2.5): try 2 or 3'],
    ['not above an exclusive minimum', { rate: 0 }, 'must be above 0 (got 0)'],
    ['not below an exclusive maximum', { rate: 1 }, 'must be below 1 (got 1)'],
    ['not a multiple', { size: 30 }, 'must be a multiple of 8 (got 30): try 24 or 32'],
    ['a misspelt option', { schedule: 'cosin' }, 'must be one of "poly", "cosine", "constant" (got "cosin"): did you mean "cosine"?'],
    ['an unrelated option', { schedule: 'linear' }, 'must be one of "poly", "cosine", "constant" (got "linear")'],
    ['a string for a number', { epochs: 'ten' }, 'must be a number (got "ten")'],
    ['a missing field', { epochs: undefined }, 'is required'],
    ['a short string', { name: 'a' }, 'must have at least 2 characters'],
    ['a long string', { name: 'abcdef' }, 'must have at most 5 characters'],
    ['an empty list', { tags: [] }, 'must have at least 1 item'],
    ["a schema's own message, which wins", { labelled: 'two' }, 'a label value, e.g. "2"'],
    ['a transposed field name', { epcohs: 3 }, 'unknown field "epcohs": did you mean "epochs"?'],
    ['a field like none', { colour: 'red' }, 'unknown field "colour" (fields here: epochs, rate, size, schedule, name, tags, labelled, nested)'],
    ['a nested typo', { nested: { batchSize: 1, batchSze: 4 } }, 'unknown field "batchSze": did you mean "batchSize"?'],
  ];
  for (const [what, patch, want] of CASES) it(what, () => assert.equal(message(patch), want));

  it('suggests only near misses (at most a third of the letters off, one for short words; the first of equals), ignoring case', () => {
    for (const [word, candidates, want] of [
      ['modle', ['model', 'mode'], 'model'],
      ['modle', ['mode', 'model'], 'mode'],
      ['Gamma', ['gamma', 'alpha'], 'gamma'],
      ['gama', ['gamma'], 'gamma'],
      ['x', ['y'], 'y'],
      ['colour', ['name', 'classes'], null],
      ['schedule', [], null],
    ] as const)
      assert.equal(closest(word, candidates), want, `${word} in ${candidates}`);
  });
});
