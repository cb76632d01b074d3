import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { DEMO_COHORT, HARD, HARD_COHORT, synthesizeCase } from '../../src/data/synthetic.js';

describe('synthetic cohorts', () => {
  it('keeps the easy demo voxel for voxel as it was before the difficulty knobs (README figures are measured on it)', () => {
    const h = crypto.createHash('sha256');
    for (let i = 0; i < 3; i++) {
      const c = synthesizeCase(i, DEMO_COHORT);
      h.update(Buffer.from(c.hu.buffer));
      h.update(Buffer.from(c.labels));
      h.update(JSON.stringify(c.geometry));
    }
    assert.equal(h.digest('hex'), 'f816e90f6de31087c1a817ade21d28915c3b9f1b32e54f49fc8e76a6145913c3');
  });

  it('makes the hard cohort as documented: coarse voxels, small, faint lesions', () => {
    let lesionVoxels = 0;
    let voxels = 0;
    const contrast: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = synthesizeCase(i, HARD_COHORT);
      const [px, , dz] = c.geometry.spacing;
      assert.ok(px >= HARD.pixelSpacingMm[0] && px <= HARD.pixelSpacingMm[1], `pixel ${px}`);
      assert.ok(dz >= HARD.sliceThicknessMm[0] && dz <= HARD.sliceThicknessMm[1], `slice ${dz}`);
      let organ = 0;
      let organN = 0;
      let lesion = 0;
      let lesionN = 0;
      c.labels.forEach((l, v) => {
        if (l === 1) {
          organ += c.hu[v];
          organN++;
        }
        if (l === 2) {
          lesion += c.hu[v];
          lesionN++;
        }
      });
      lesionVoxels += lesionN;
      voxels += c.labels.length;
      if (lesionN) contrast.push(lesion / lesionN - organ / organN);
    }
    const meanContrast = contrast.reduce((a, b) => a + b, 0) / contrast.length;
    // -18 HU nominal; the mean over hundreds of voxels of 15 HU noise is within a few HU of it.
    assert.ok(Math.abs(meanContrast + 18) < 4, `lesion - organ = ${meanContrast.toFixed(1)} HU`);
    const fraction = lesionVoxels / voxels;
    assert.ok(fraction > 0.00005 && fraction < 0.0005, `lesions are ${(100 * fraction).toFixed(4)} % of the voxels`);
  });
});
