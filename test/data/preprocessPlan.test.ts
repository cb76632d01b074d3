import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeIntensity, planPreprocessing } from '../../src/data/preprocessPlan.js';

const names = ['background', 'organ'];
const common = { classNames: names, clipPercentiles: [0.5, 99.5] as [number, number], datasetFingerprint: 'f', seed: 1 };

describe('planPreprocessing', () => {
  it('CT: median spacing, foreground percentiles (numpy linear interpolation) and clipped mean/std', () => {
    // Foreground values 1..1000 (all sampled: fewer than the 33k share of each of the 3 cases); numpy.percentile(range(1, 1001), [0.5, 99.5]) = [5.995, 995.005].
    const image = Float32Array.from({ length: 2000 }, (_, i) => (i < 1000 ? i + 1 : -1000));
    const label = Uint8Array.from({ length: 2000 }, (_, i) => (i < 1000 ? 1 : 0));
    const plan = planPreprocessing(
      [
        { modality: 'CT', spacing: [0.8, 0.8, 2], load: () => ({ image, label }) },
        { modality: 'CT', spacing: [1.2, 1.0, 2], load: () => ({ image: new Float32Array(4), label: new Uint8Array(4) }) },
        { modality: 'CT', spacing: [0.7, 0.9, 2], load: () => ({ image: new Float32Array(4), label: new Uint8Array(4) }) },
      ],
      common,
    );
    assert.deepEqual(plan.targetSpacing, [0.8, 0.9]);
    assert.equal(plan.intensity.kind, 'ct');
    if (plan.intensity.kind !== 'ct') return;
    assert.ok(Math.abs(plan.intensity.clip[0] - 5.995) < 1e-9 && Math.abs(plan.intensity.clip[1] - 995.005) < 1e-9, JSON.stringify(plan.intensity.clip));
    // Clipped values are symmetric about 500.5, so the mean is 500.5; std from numpy: np.clip(np.arange(1, 1001), 5.995, 995.005).std() = 288.6234908.
    assert.ok(Math.abs(plan.intensity.mean - 500.5) < 1e-9);
    assert.ok(Math.abs(plan.intensity.std - 288.6234908) < 1e-6, String(plan.intensity.std));
  });

  it('a user window and non-CT modalities pick their normalisation; targetSpacing overrides the median', () => {
    const input = [{ modality: 'CT', spacing: [1, 1, 1] as [number, number, number], load: () => ({ image: new Float32Array(1), label: new Uint8Array(1) }) }];
    assert.deepEqual(planPreprocessing(input, { ...common, window: { center: 40, width: 400 } }).intensity, { kind: 'window', center: 40, width: 400 });
    assert.deepEqual(planPreprocessing([{ ...input[0], modality: 'MR' }], common).intensity, { kind: 'zscore' });
    assert.deepEqual(planPreprocessing([{ ...input[0], modality: 'MR' }], { ...common, targetSpacing: [0.5, 0.6] }).targetSpacing, [0.5, 0.6]);
  });

  it('refuses CT statistics without any labelled voxel', () => {
    assert.throws(() => planPreprocessing([{ modality: 'CT', spacing: [1, 1, 1], load: () => ({ image: new Float32Array(3), label: new Uint8Array(3) }) }], common), /no foreground voxel/);
  });
});

describe('normalizeIntensity', () => {
  const cases: [string, Parameters<typeof normalizeIntensity>[1], number[], number[]][] = [
    ['ct: clip then z-score', { kind: 'ct', clip: [0, 100], mean: 50, std: 25 }, [-500, 0, 50, 100, 3000], [-2, -2, 0, 2, 2]],
    ['window: clip to [center ± width/2] then [-1, 1]', { kind: 'window', center: 40, width: 400 }, [-1000, -160, 40, 240, 1000], [-1, -1, 0, 1, 1]],
    ['zscore per volume (population std)', { kind: 'zscore' }, [1, 2, 3, 4], [-1.3416408, -0.4472136, 0.4472136, 1.3416408]],
  ];
  for (const [name, n, input, expected] of cases) {
    it(name, () => {
      const out = normalizeIntensity(input, n);
      expected.forEach((e, i) => assert.ok(Math.abs(out[i] - e) < 1e-6, `${out[i]} vs ${e}`));
    });
  }
});
