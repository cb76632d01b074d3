import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidationEpoch } from '../../src/train/validation.js';

describe('isValidationEpoch', () => {
  // [validationInterval, epochs, the validated epochs (from 0)]
  const cases: [number, number, number[]][] = [
    [1, 4, [0, 1, 2, 3]],
    [2, 6, [1, 3, 5]],
    [2, 5, [1, 3, 4]],
    [3, 4, [2, 3]],
    [10, 4, [3]],
    [1, 1, [0]],
    [5, 1, [0]],
  ];
  for (const [validationInterval, epochs, validated] of cases)
    it(`interval ${validationInterval} over ${epochs} epochs validates ${validated.join(', ')}`, () =>
      assert.deepEqual(
        [...Array(epochs).keys()].filter((e) => isValidationEpoch(e, { validationInterval, epochs })),
        validated,
      ));
});
