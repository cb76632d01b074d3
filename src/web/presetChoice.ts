import { h } from './dom.js';
import type { DatasetDetail } from './types.js';

/**
 * The preset choice of the launch and study forms: "auto" first (the default, what the chosen dataset
 * calls for, as the API decides: GET /api/datasets/:name's `preset`), then "none" and each preset.
 */
export function presetChoice(id: string, presets: { name: string; help: string }[]) {
  const select = h(
    'select',
    { id, name: 'preset' },
    h('option', { value: 'auto' }, 'auto (as the dataset calls for)'),
    h('option', { value: 'none' }, 'none (the defaults)'),
    ...presets.map((p) => h('option', { value: p.name, title: p.help }, p.name)),
  ) as HTMLSelectElement;
  let suggested: DatasetDetail['preset'] = { preset: null, reason: 'no dataset chosen' };
  return {
    select,
    /** What "auto" picks for the dataset now chosen. */
    suggest: (s: DatasetDetail['preset']) => {
      suggested = s;
    },
    /** The preset the choice comes to (null: none). */
    chosen: (): string | null => (select.value === 'auto' ? suggested.preset : select.value === 'none' ? null : select.value),
    /** "auto: small-lesions, as …" while "auto" is chosen, else "". */
    autoLine: () => (select.value === 'auto' ? `auto: ${suggested.preset ?? 'none'}, as ${suggested.reason}` : ''),
  };
}
