import { api, subscribe } from '../api.js';
import { clear, duration, fmt, h, sortableTable, statusBadge } from '../dom.js';
import type { RunListItem } from '../types.js';

/** Runs list: status, dataset, strategy, best Dice, duration; pick 2-4 to compare. Updates as runs progress. */
export async function runsPage(root: HTMLElement): Promise<() => void> {
  let { items } = await api<{ total: number; items: RunListItem[] }>('/runs?limit=200');
  const picked = new Set<string>();
  const compare = h('button', { disabled: true, id: 'compare', onclick: () => (location.hash = `#/compare/${[...picked].join(',')}`) }, 'Compare selected');
  const pick = (r: RunListItem) =>
    h('input', {
      type: 'checkbox',
      'data-run': r.id,
      checked: picked.has(r.id),
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) picked.add(r.id);
        else picked.delete(r.id);
        compare.disabled = picked.size < 2 || picked.size > 4;
      },
    });
  const list = h('div');
  const draw = () => {
    clear(list);
    list.append(listView());
  };
  const listView = () =>
    items.length === 0
      ? h('p', {}, 'No runs yet. ', h('a', { href: '#/new' }, 'Launch one'), ' on the demo dataset.')
      : sortableTable<RunListItem>(
          [
            { label: '', value: () => null, render: pick },
            { label: 'run', value: (r) => r.name ?? r.id, render: (r) => h('a', { href: `#/runs/${r.id}` }, r.name ?? r.id.slice(0, 8)) },
            { label: 'dataset', value: (r) => r.dataset },
            { label: 'status', value: (r) => r.status, render: (r) => statusBadge(r.status) },
            { label: 'strategy', value: (r) => r.strategy },
            { label: 'epochs', value: (r) => r.epochsDone, render: (r) => `${r.epochsDone}/${r.totalEpochs}` },
            { label: 'best val Dice', value: (r) => r.bestDice, numeric: true, render: (r) => fmt(r.bestDice) },
            { label: 'duration', value: (r) => r.durationMs, render: (r) => duration(r.durationMs) },
            { label: 'tags', value: (r) => r.tags.join(', ') },
            { label: 'created', value: (r) => r.createdAt, render: (r) => new Date(r.createdAt).toLocaleString() },
          ],
          items,
          { id: 'runs' },
        );
  root.append(h('h1', {}, 'Training runs'), h('div', { class: 'toolbar' }, h('a', { href: '#/new' }, h('button', {}, 'New run')), compare, h('span', { class: 'muted' }, 'select 2 to 4 runs to compare')), list);
  draw();
  // Status, epochs and best Dice change as the worker reports; the table follows.
  return subscribe(async (type) => {
    if (type !== 'job' && type !== 'epoch' && type !== 'status') return;
    items = (await api<{ items: RunListItem[] }>('/runs?limit=200')).items;
    draw();
  });
}
