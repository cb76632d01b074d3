import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGREEMENT, legendFor, predictionColor, renderSlice, truthColor, type OverlayOptions, type Rgb } from '../../src/figures/overlay.js';

// 5 x 5 slice, image 0 everywhere (black at window [50, 100]); truth class 1 is the 3 x 3 centre,
// prediction class 1 the same square shifted one column right; class 2 predicted at (0, 0), true at (4, 4).
const W = 5;
const at = (x: number, y: number) => y * W + x;
const label = new Uint8Array(25);
const prediction = new Uint8Array(25);
for (let y = 1; y <= 3; y++)
  for (let x = 1; x <= 3; x++) {
    label[at(x, y)] = 1;
    prediction[at(x + 1, y)] = 1;
  }
prediction[at(0, 0)] = 2;
label[at(4, 4)] = 2;
const slice = { width: W, height: W, image: new Float32Array(25), label, prediction };
const base: OverlayOptions = { mode: 'filled', window: [50, 100], classes: new Set([1, 2]), truth: true, prediction: true, opacity: 1 };
const rgb = (px: Uint8ClampedArray, x: number, y: number): Rgb => [px[at(x, y) * 4], px[at(x, y) * 4 + 1], px[at(x, y) * 4 + 2]];
const NAMES = ['background', 'organ', 'lesion'];

describe('renderSlice', () => {
  it('agreement: TP yellow, FP red, FN blue, background untouched', () => {
    const px = renderSlice(slice, { ...base, mode: 'agreement' });
    assert.deepEqual(rgb(px, 2, 2), AGREEMENT.tp);
    assert.deepEqual(rgb(px, 4, 2), AGREEMENT.fp);
    assert.deepEqual(rgb(px, 1, 2), AGREEMENT.fn);
    assert.deepEqual(rgb(px, 0, 0), AGREEMENT.fp, 'class 2 predicted where truth is background');
    assert.deepEqual(rgb(px, 0, 4), [0, 0, 0]);
  });

  it('filled: truth filled, prediction outlined on top, so at opacity 1 the truth still shows inside', () => {
    const px = renderSlice(slice, base);
    assert.deepEqual(rgb(px, 1, 2), truthColor(1), 'truth only');
    assert.deepEqual(rgb(px, 3, 1), predictionColor(1), 'prediction border over truth');
    // (3, 2) is inside the prediction square (x 2..4) and of the truth: the truth fill shows.
    assert.deepEqual(rgb(px, 3, 2), truthColor(1));
  });

  it('outline: only border pixels of each mask are coloured', () => {
    const px = renderSlice(slice, { ...base, mode: 'outline', prediction: false });
    assert.deepEqual(rgb(px, 1, 1), truthColor(1));
    assert.deepEqual(rgb(px, 2, 2), [0, 0, 0], 'the centre of the truth square is not on its border');
  });

  it('per-class switches and layer switches hide what they say', () => {
    const px = renderSlice(slice, { ...base, classes: new Set([2]) });
    assert.deepEqual(rgb(px, 1, 2), [0, 0, 0], 'class 1 hidden');
    assert.deepEqual(rgb(px, 0, 0), predictionColor(2));
    assert.deepEqual(rgb(renderSlice(slice, { ...base, prediction: false }), 0, 0), [0, 0, 0]);
  });

  it('blends at the given opacity over the windowed grey', () => {
    const image = new Float32Array(25).fill(100); // white at window [50, 100]
    const px = renderSlice({ ...slice, image }, { ...base, mode: 'agreement', opacity: 0.5 });
    const want = AGREEMENT.tp.map((c) => 255 * 0.5 + c * 0.5);
    rgb(px, 2, 2).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1, `${rgb(px, 2, 2)} vs ${want}`));
  });
});

describe('legendFor', () => {
  // Every colour renderSlice draws is in the legend, and every legend colour is drawn on this slice (which has every case).
  const MODES: OverlayOptions['mode'][] = ['filled', 'outline', 'agreement'];
  for (const mode of MODES) {
    it(`lists exactly the colours drawn in ${mode} mode`, () => {
      const o = { ...base, mode };
      const px = renderSlice(slice, o);
      const drawn = new Set<string>();
      for (let p = 0; p < 25; p++) if (px[p * 4] || px[p * 4 + 1] || px[p * 4 + 2]) drawn.add(String([px[p * 4], px[p * 4 + 1], px[p * 4 + 2]]));
      const legend = new Set(legendFor(o, NAMES).map((e) => String(e.color)));
      assert.deepEqual([...drawn].sort(), [...legend].sort());
    });
  }

  it('is empty when no class is visible, and names the visible classes', () => {
    assert.deepEqual(legendFor({ ...base, classes: new Set() }, NAMES), []);
    assert.deepEqual(
      legendFor({ ...base, classes: new Set([2]) }, NAMES).map((e) => e.text),
      ['lesion (truth)', 'lesion (prediction)'],
    );
  });
});
