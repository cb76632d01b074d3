import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectedComponents } from '../../src/metrics/connectedComponents.js';
import { addFaintLesions, detectionSweep, FAINT_OUTLINE_FRACTION } from '../../src/model/faintLesions.js';
import { Random } from '../../src/util/random.js';

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

  it('outlines a faint peak beside a higher faint one as its own lesion when they join at no more than half its peak', () => {
    // Left: 0.1 joins 0.3 through 0.04, at most half of 0.1: a lesion of its own, drawn at >= 0.05, and
    // the 0.3 at >= 0.15. Right: 0.1 joins 0.3 through 0.06, above half of 0.1: a shoulder of the 0.3,
    // drawn with it at >= 0.15, so not at all. Nothing reaches the outline (0.6).
    const r = row([0.1, 0.04, 0.3, 0, 0.1, 0.06, 0.3], [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...addFaintLesions(r.labels, r.p, { 2: { detect: 0.03, outline: 0.6 } }, r.size)], [2, 0, 2, 0, 0, 0, 2]);
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

describe('detectionSweep: false positives and the two-threshold rule counted at every threshold in one pass', () => {
  /** Lesions of class 2 with a voxel labelled 2 by addFaintLesions at (detect, outline): the reference. */
  const byLabelling = (drawn: Uint8Array, p: Float32Array, lesions: { labels: Int32Array; count: number }, detect: number, outline: number, size: readonly [number, number, number]) => {
    const labels = addFaintLesions(drawn, new Map([[2, p]]), { 2: { detect, outline } }, size);
    return new Set(
      Array.from(labels.keys())
        .filter((v) => lesions.labels[v] && labels[v] === 2)
        .map((v) => lesions.labels[v]),
    ).size;
  };

  it('keeps a faint lesion that joins a confident region at no more than half its peak, and loses a shoulder', () => {
    // Lesion A = voxel 1 (0.2) joins the 0.9 at 3 through 0.15 at 2: above half its peak, a shoulder, lost
    // from t = 0.15. Lesion B = voxel 5 (0.3) joins the 0.95 at 7 through 0.1 at 6: at most half its peak,
    // a lesion of its own, kept. 0.02 at 9 is a faint negative. The outline (0.6) draws 3 and 7.
    const p = Float32Array.from([0, 0.2, 0.15, 0.9, 0, 0.3, 0.1, 0.95, 0, 0.02]);
    const lesions = connectedComponents(Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0]), [10, 1, 1]);
    const drawn = Uint8Array.from(p, (v) => (v >= 0.6 ? 2 : 0));
    const detects = [0.5, 0.2, 0.15, 0.1, 0.05, 0.01];
    const { found, falsePositives } = detectionSweep(p, [10, 1, 1], lesions, detects, { drawn, cls: 2, outline: 0.6 });
    assert.deepEqual([...(found ?? [])], [0, 2, 1, 1, 1, 1]);
    // The rule's objects labelling no lesion: the outline's 3 and 7 throughout, and the 0.02 at 0.01.
    assert.deepEqual([...falsePositives], [2, 2, 2, 2, 2, 3]);
    assert.deepEqual([...addFaintLesions(drawn, new Map([[2, p]]), { 2: { detect: 0.1, outline: 0.6 } }, [10, 1, 1])], [0, 0, 0, 2, 0, 2, 0, 2, 0, 0]);
    // Without a rule: components of p >= t touching no lesion. A's joins 3 at 0.15, B's joins 7 at 0.1.
    const plain = detectionSweep(p, [10, 1, 1], lesions, detects);
    assert.equal(plain.found, null);
    assert.deepEqual([...plain.falsePositives], [2, 2, 1, 0, 0, 1]);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`counts as addFaintLesions with an any-overlap count, and components labelled one by one, at each of 108 thresholds (random 12 x 10 x 6 volume, seed ${seed})`, () => {
      const size = [12, 10, 6] as const;
      const n = size[0] * size[1] * size[2];
      const rng = new Random(seed);
      // Lesions of a few voxels at any probability; elsewhere a faint floor with sparse voxels of any
      // strength; an arg-max that labels a few. The counts rise and fall with the threshold.
      const truth = Uint8Array.from({ length: n }, () => (rng.next() < 0.06 ? 1 : 0));
      const p = Float32Array.from(truth, (t) => (t || rng.next() < 0.05 ? rng.next() : rng.next() * 0.01));
      const lesions = connectedComponents(truth, size);
      const outline = [0.3, 0.5, 0.8][seed % 3];
      const drawn = Uint8Array.from(p, (v) => (v >= outline || rng.next() < 0.02 ? 2 : 0));
      const detects = [...Array.from({ length: 99 }, (_, k) => (99 - k) / 100), ...Array.from({ length: 9 }, (_, k) => (9 - k) / 1000)].filter((t) => t < outline);
      const counts = [...(detectionSweep(p, size, lesions, detects, { drawn, cls: 2, outline }).found ?? [])];
      assert.deepEqual(
        counts,
        detects.map((t) => byLabelling(drawn, p, lesions, t, outline, size)),
      );
      assert.ok(lesions.count > 15 && new Set(counts).size > 1, 'the volume exercises the rule');
      // False positives without a rule: components of p >= t labelled one by one, those with no lesion voxel.
      const reference = detects.map((t) => {
        const { labels, count } = connectedComponents(
          Uint8Array.from(p, (v) => (v >= t ? 1 : 0)),
          size,
        );
        const touched = new Set(
          Array.from(labels.keys())
            .filter((v) => labels[v] && truth[v])
            .map((v) => labels[v]),
        );
        return count - touched.size;
      });
      assert.deepEqual([...detectionSweep(p, size, lesions, detects).falsePositives], reference);
      assert.ok(new Set(reference).size > 3, 'the false positives vary with the threshold');
    });
  }
});
