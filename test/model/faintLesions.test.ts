import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addFaintLesions, FAINT_OUTLINE_FRACTION } from '../../src/model/faintLesions.js';

/** A row of voxels (size [n, 1, 1]): class-2 probabilities and the labels the outline threshold gave. */
const row = (p: number[], labels: number[]) => ({ p: new Map([[2, Float32Array.from(p)]]), labels: Uint8Array.from(labels), size: [p.length, 1, 1] as const });

describe('addFaintLesions (hand-derived)', () => {
  it('outlines a component that only the detection threshold reaches at half its peak, and leaves a confident one as the outline threshold drew it', () => {
    // Voxels 0-2: a confident lesion (peak 0.9 >= outline 0.5; its 0.3 shoulders reach detect 0.05 but
    // it keeps its outline). 3: a gap. 4-7: a faint lesion, peak 0.2: voxels >= max(0.05, 0.1) are 0.2
    // and 0.12, not 0.06 and 0.08. 9: a voxel of class 3, which has a rule of its own: it stays 3.
    // 11: an organ voxel (class 1, no rule): it becomes class 2.
    const r = row([0.3, 0.9, 0.3, 0, 0.06, 0.2, 0.12, 0.08, 0, 0.1, 0, 0.1, 0], [0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0]);
    const rules = { 2: { detect: 0.05, outline: 0.5 }, 3: { detect: 0.5, outline: 0.5 } };
    assert.equal(FAINT_OUTLINE_FRACTION, 0.5);
    assert.deepEqual([...addFaintLesions(r.labels, r.p, rules, r.size)], [0, 2, 0, 0, 0, 2, 2, 0, 0, 3, 0, 2, 0]);
    assert.deepEqual([...r.labels], [0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0], 'the input is left as it is');
  });

  it('changes nothing when the detection threshold is not below the outline threshold', () => {
    const r = row([0.3, 0.9, 0, 0.2], [0, 2, 0, 0]);
    for (const detect of [0.5, 0.6]) assert.deepEqual([...addFaintLesions(r.labels, r.p, { 2: { detect, outline: 0.5 } }, r.size)], [0, 2, 0, 0]);
  });

  it('joins voxels that touch by a corner (26-connectivity): a faint voxel diagonal to a confident lesion is part of it', () => {
    // 2 x 2 x 2: voxel (0,0,0) at 0.9 and (1,1,1), index 7, at 0.2; one component at detect 0.1.
    const p = new Map([[2, Float32Array.from([0.9, 0, 0, 0, 0, 0, 0, 0.2])]]);
    const labels = Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...addFaintLesions(labels, p, { 2: { detect: 0.1, outline: 0.5 } }, [2, 2, 2])], [2, 0, 0, 0, 0, 0, 0, 0]);
    // With the outline above its peak the whole component is faint: half its peak (0.45) keeps voxel 0 only.
    assert.deepEqual([...addFaintLesions(new Uint8Array(8), p, { 2: { detect: 0.1, outline: 0.95 } }, [2, 2, 2])], [2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a rule whose class probabilities were not kept', () => {
    assert.throws(() => addFaintLesions(new Uint8Array(2), new Map(), { 2: { detect: 0.1, outline: 0.5 } }, [2, 1, 1]), /class 2 has a detection threshold but its probabilities were not kept/);
  });
});
