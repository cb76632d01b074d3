import { api, subscribe } from '../api.js';
import { clear, duration, fmt, h, sortableTable, statusBadge, type Column, type SortState } from '../dom.js';
import { flattenConfig } from '../flattenConfig.js';
import type { RunListItem } from '../types.js';

/** What the runs table shows, kept for the session so live updates and Back leave it as it was. */
interface View {
  dataset: string;
  status: string;
  strategy: string;
  tag: string;
  study: string;
  search: string;
  /** Extra columns: "test:CLASS:METRIC" or "config:dotted.path". */
  columns: string[];
  sort: SortState;
  picked: string[];
}

const STORE = 'segfusion-runs-view';
const METRICS = ['dice', 'sensitivity', 'precision', 'hd95'];
const DEFAULT_VIEW: View = { dataset: '', status: '', strategy: '', tag: '', study: '', search: '', columns: [], sort: { label: 'created', asc: false }, picked: [] };

function loadView(): View {
  try {
    return { ...DEFAULT_VIEW, ...(JSON.parse(sessionStorage.getItem(STORE) ?? '{}') as Partial<View>) };
  } catch {
    return { ...DEFAULT_VIEW };
  }
}

const configValue = (r: RunListItem, path: string): string | number | null => {
  const v = flattenConfig(r.config).get(path);
  return v === undefined || v === null ? null : typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v);
};

/**
 * Runs list, MLflow-like: filters (dataset, status, strategy, tag, study), a search over name, id, tags
 * and arm, and columns to add for any per-class test metric or config field; sort, filters, columns and
 * the runs picked for comparison survive live updates and Back. Compare takes 2 or more runs.
 */
export async function runsPage(root: HTMLElement): Promise<() => void> {
  let { items } = await api<{ total: number; items: RunListItem[] }>('/runs?limit=500');
  const view = loadView();
  const save = () => sessionStorage.setItem(STORE, JSON.stringify(view));
  const picked = new Set(view.picked.filter((id) => items.some((r) => r.id === id)));
  const compare = h('button', { id: 'compare', onclick: () => (location.hash = `#/compare/${[...picked].join(',')}`) }, 'Compare selected');
  const syncCompare = () => {
    compare.disabled = picked.size < 2;
    view.picked = [...picked];
    save();
  };
  const pick = (r: RunListItem) =>
    h('input', {
      type: 'checkbox',
      'data-run': r.id,
      checked: picked.has(r.id),
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) picked.add(r.id);
        else picked.delete(r.id);
        syncCompare();
      },
    });

  const filterSelect = (key: 'dataset' | 'status' | 'strategy' | 'tag' | 'study', label: string, values: () => string[]) => {
    const select = h('select', { id: `filter-${key}` });
    const fill = () => {
      clear(select);
      select.append(h('option', { value: '' }, `any ${label}`), ...[...new Set(values())].sort().map((v) => h('option', { value: v }, key === 'study' ? v.slice(0, 8) : v)));
      select.value = view[key];
    };
    select.addEventListener('change', () => {
      view[key] = select.value;
      save();
      draw();
    });
    return { select, fill };
  };
  const filters = [
    filterSelect('dataset', 'dataset', () => items.map((r) => r.dataset)),
    filterSelect('status', 'status', () => items.map((r) => r.status)),
    filterSelect('strategy', 'strategy', () => items.map((r) => r.strategy)),
    filterSelect('tag', 'tag', () => items.flatMap((r) => r.tags)),
    filterSelect('study', 'study', () => items.flatMap((r) => (r.studyId ? [r.studyId] : []))),
  ];
  const search = h('input', { id: 'runs-search', type: 'search', placeholder: 'search name, id, tag', value: view.search });
  search.addEventListener('input', () => {
    view.search = search.value;
    save();
    draw();
  });
  const addColumn = h('select', { id: 'add-column' });
  const fillColumns = () => {
    clear(addColumn);
    const classes = [...new Set(items.flatMap((r) => Object.keys(r.test ?? {})))].sort();
    const configPaths = [...new Set(items.flatMap((r) => [...flattenConfig(r.config).keys()]))].sort();
    addColumn.append(
      h('option', { value: '' }, 'add a column…'),
      h('optgroup', { label: 'test metrics (mean over test cases)' }, ...classes.flatMap((c) => METRICS.map((m) => h('option', { value: `test:${c}:${m}`, disabled: view.columns.includes(`test:${c}:${m}`) }, `${m} ${c}`)))),
      h('optgroup', { label: 'run config' }, ...configPaths.map((p) => h('option', { value: `config:${p}`, disabled: view.columns.includes(`config:${p}`) }, p))),
    );
  };
  addColumn.addEventListener('change', () => {
    if (addColumn.value) view.columns.push(addColumn.value);
    save();
    draw();
  });

  const extraColumn = (key: string): Column<RunListItem> => {
    const [kind, ...rest] = key.split(':');
    const label = kind === 'test' ? `${rest[1]} ${rest[0]}` : rest.join(':');
    const remove = h('span', { class: 'muted', title: 'remove this column', 'data-remove': key }, ' ✕');
    remove.addEventListener('click', (e) => {
      e.stopPropagation();
      view.columns = view.columns.filter((c) => c !== key);
      save();
      draw();
    });
    return kind === 'test' ? { label, header: remove, value: (r) => r.test?.[rest[0]]?.[rest[1]] ?? null, numeric: true } : { label, header: remove, value: (r) => configValue(r, rest.join(':')) };
  };

  const matches = (r: RunListItem) => {
    const q = view.search.trim().toLowerCase();
    return (
      (!view.dataset || r.dataset === view.dataset) &&
      (!view.status || r.status === view.status) &&
      (!view.strategy || r.strategy === view.strategy) &&
      (!view.tag || r.tags.includes(view.tag)) &&
      (!view.study || r.studyId === view.study) &&
      (!q || [r.name ?? '', r.id, ...r.tags].some((t) => t.toLowerCase().includes(q)))
    );
  };
  const list = h('div');
  const count = h('span', { class: 'muted', id: 'runs-count' });
  const draw = () => {
    for (const f of filters) f.fill();
    fillColumns();
    clear(list);
    const shown = items.filter(matches);
    count.textContent = `${shown.length} of ${items.length} run(s)`;
    if (items.length === 0) {
      list.append(h('p', {}, 'No runs yet. ', h('a', { href: '#/new' }, 'Launch one'), ' on the demo dataset.'));
      return;
    }
    list.append(
      sortableTable<RunListItem>(
        [
          { label: '', value: () => null, render: pick },
          { label: 'run', value: (r) => r.name ?? r.id, render: (r) => h('a', { href: `#/runs/${r.id}` }, r.name ?? r.id.slice(0, 8)) },
          { label: 'dataset', value: (r) => r.dataset },
          { label: 'status', value: (r) => r.status, render: (r) => statusBadge(r.status) },
          { label: 'strategy', value: (r) => r.strategy },
          { label: 'owner', value: (r) => r.owner ?? '' },
          { label: 'worker', value: (r) => r.worker ?? '' },
          { label: 'epochs', value: (r) => r.epochsDone, render: (r) => `${r.epochsDone}/${r.totalEpochs}` },
          { label: 'best val Dice', value: (r) => r.bestDice, numeric: true, render: (r) => fmt(r.bestDice) },
          { label: 'duration', value: (r) => r.durationMs, render: (r) => duration(r.durationMs) },
          ...view.columns.map(extraColumn),
          { label: 'tags', value: (r) => r.tags.join(', ') },
          { label: 'created', value: (r) => r.createdAt, render: (r) => new Date(r.createdAt).toLocaleString() },
        ],
        shown,
        { id: 'runs' },
        view.sort,
      ),
    );
  };
  root.append(
    h('h1', {}, 'Training runs'),
    h('div', { class: 'toolbar' }, h('a', { href: '#/new' }, h('button', {}, 'New run')), compare, h('span', { class: 'muted' }, 'select 2 or more runs to compare')),
    h('div', { class: 'toolbar', id: 'runs-filters' }, ...filters.map((f) => f.select), search, addColumn, count),
    list,
  );
  syncCompare();
  draw();
  // Status, epochs and metrics change as the worker reports; the table follows, keeping the view.
  return subscribe(async (type) => {
    if (type !== 'job' && type !== 'epoch' && type !== 'status') return;
    items = (await api<{ items: RunListItem[] }>('/runs?limit=500')).items;
    draw();
  });
}
