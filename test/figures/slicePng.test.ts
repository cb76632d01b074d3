import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { generateSyntheticCohort } from '../../src/data/synthetic.js';
import { AGREEMENT, truthColor } from '../../src/figures/overlay.js';
import { overlayOptions, PngOptionsSchema, slicePng } from '../../src/figures/slicePng.js';
import { tempDir } from '../helpers.js';

describe('slicePng', () => {
  const c = generateSyntheticCohort({ out: tempDir('png'), patients: 1, matrix: 48, slices: 8, seed: 11 })[0];
  const [nx, ny] = c.geometry.size;
  const k = 6;
  const label = c.labels.subarray(k * nx * ny, (k + 1) * nx * ny);
  const image = c.hu.subarray(k * nx * ny, (k + 1) * nx * ny);
  const decode = async (png: Buffer) => {
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    return { data, info };
  };

  it('draws the stored label voxels exactly: truth filled at opacity 1, decoded back with sharp', async () => {
    const o = overlayOptions(PngOptionsSchema.parse({ truth: '1', prediction: '0', opacity: '1', scale: '1' }));
    const { data, info } = await decode(await slicePng({ width: nx, height: ny, image, label, prediction: null }, o, 1, [1, 1]));
    assert.deepEqual([info.width, info.height], [nx, ny]);
    let mismatches = 0;
    for (let p = 0; p < nx * ny; p++) {
      const px = [data[p * info.channels], data[p * info.channels + 1], data[p * info.channels + 2]];
      const grey = px[0] === px[1] && px[1] === px[2];
      if (label[p] ? String(px) !== String(truthColor(label[p])) : !grey) mismatches++;
    }
    assert.ok(
      label.some((v) => v === 2),
      'the slice holds a lesion',
    );
    assert.equal(mismatches, 0);
  });

  it('keeps the in-plane aspect ratio and upscales by nearest neighbour', async () => {
    const o = overlayOptions(PngOptionsSchema.parse({ mode: 'agreement', opacity: '1' }));
    const { data, info } = await decode(await slicePng({ width: nx, height: ny, image, label, prediction: label }, o, 2, [0.5, 1]));
    assert.deepEqual([info.width, info.height], [nx * 2, ny * 4]);
    // Every labelled voxel is a true positive here (prediction = truth), and no pixel is blended.
    const tp = String(AGREEMENT.tp);
    const colours = new Set<string>();
    for (let p = 0; p < info.width * info.height; p++) colours.add(String([data[p * info.channels], data[p * info.channels + 1], data[p * info.channels + 2]]));
    assert.ok(colours.has(tp));
    assert.ok(![...colours].some((x) => x !== tp && x.split(',').some((v, _i, a) => v !== a[0])), 'only grey and the TP colour');
  });

  const BAD: [Record<string, string>, RegExp][] = [
    [{ window: '40' }, /centre,width/],
    [{ classes: '1;2' }, /comma-separated list/],
    [{ scale: '9' }, /scale|less than or equal to 8/i],
    [{ colour: 'red' }, /colour/],
  ];
  for (const [q, pattern] of BAD) it(`refuses ${JSON.stringify(q)}`, () => assert.throws(() => PngOptionsSchema.parse(q), pattern));
});
