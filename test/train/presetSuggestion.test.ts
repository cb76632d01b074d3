import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classSizes, resolvePreset, SMALL_CLASS_MEDIAN_VOXELS, suggestPreset, type ClassSize } from '../../src/train/presetSuggestion.js';

const labelled = (voxelCounts: Record<string, number> | null) => ({ label: voxelCounts ? { sourcePath: 'l', kind: 'nifti', volumePath: 'v', voxelCounts } : null });

describe('classSizes', () => {
  it('summarises each foreground class over the labelled cases that hold it (median per case), background left out', () => {
    const info = {
      classMap: { '0': 'background', '1': 'organ', '2': 'lesion', '3': 'cyst' },
      // The lesion: 10, 30 and 50 voxels in three cases, absent from one; the unlabelled series counts nowhere.
      series: [labelled({ '0': 900, '1': 100, '2': 10 }), labelled({ '0': 900, '1': 300, '2': 30 }), labelled({ '0': 900, '1': 200, '2': 50 }), labelled({ '0': 999, '1': 1 }), labelled(null)],
    };
    assert.deepEqual(classSizes(info), [
      { value: '1', name: 'organ', cases: 4, medianVoxels: 150 },
      { value: '2', name: 'lesion', cases: 3, medianVoxels: 30 },
      { value: '3', name: 'cyst', cases: 0, medianVoxels: null },
    ]);
  });
  it('names a label value the class map lacks by its value, and orders values as numbers', () => {
    const info = { classMap: { '1': 'organ' }, series: [labelled({ '1': 5, '10': 7, '2': 9 })] };
    assert.deepEqual(
      classSizes(info).map((c) => [c.value, c.name]),
      [
        ['1', 'organ'],
        ['2', 'class 2'],
        ['10', 'class 10'],
      ],
    );
  });
});

describe('suggestPreset', () => {
  const size = (value: string, medianVoxels: number | null, cases = 20): ClassSize => ({ value, name: value === '1' ? 'organ' : 'lesion', cases: medianVoxels === null ? 0 : cases, medianVoxels });
  const CASES: [string, ClassSize[], string | null, RegExp][] = [
    ['the hard cohort: lesions of 35.5 voxels per case', [size('1', 2807), size('2', 35.5)], 'small-lesions', /^class 2 "lesion" has a median of 35\.5 voxels per case \(20 cases\): at most 100$/],
    ['exactly at the bound is small', [size('1', 2807), size('2', SMALL_CLASS_MEDIAN_VOXELS)], 'small-lesions', /median of 100 voxels/],
    ['just over the bound is not', [size('1', 2807), size('2', SMALL_CLASS_MEDIAN_VOXELS + 0.5)], null, /^no class is small: the smallest, class 2 "lesion" has a median of 100\.5 voxels per case \(20 cases\), is over 100$/],
    ['the easy demo: lesions of 192 voxels per case', [size('1', 30000), size('2', 192)], null, /the smallest, class 2 "lesion"/],
    ['a class no case holds does not count', [size('1', 30000), size('2', null)], null, /the smallest, class 1 "organ"/],
    ['no labelled foreground at all', [size('2', null)], null, /^no labelled case holds a foreground class$/],
    ['no foreground class', [], null, /^no labelled case holds a foreground class$/],
  ];
  for (const [name, sizes, preset, reason] of CASES)
    it(name, () => {
      const s = suggestPreset(sizes);
      assert.equal(s.preset, preset);
      assert.match(s.reason, reason);
    });
});

describe('resolvePreset', () => {
  const hard = async () => ({ classMap: { '2': 'lesion' }, series: [labelled({ '2': 20 })] });
  it('"none" and a named preset are taken as they are, without looking at the dataset', async () => {
    const never = () => Promise.reject(new Error('the dataset was read'));
    assert.deepEqual(await resolvePreset('none', never), { preset: null, reason: 'preset "none" asked for' });
    assert.deepEqual(await resolvePreset('small-lesions', never), { preset: 'small-lesions', reason: 'preset "small-lesions" asked for' });
  });
  it('"auto", or no choice, asks the dataset; no dataset: no preset', async () => {
    assert.equal((await resolvePreset('auto', hard)).preset, 'small-lesions');
    assert.equal((await resolvePreset(undefined, hard)).preset, 'small-lesions');
    assert.deepEqual(await resolvePreset(undefined, async () => null), { preset: null, reason: 'no dataset to look at' });
  });
});
