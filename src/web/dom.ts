type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element: attributes (on* are listeners, booleans toggle), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

// The server's formatters and aggregates, bundled: the dashboard shows numbers computed the same way.
export { formatDuration as duration } from '../util/format.js';
export { aggregate } from '../metrics/segmentationMetrics.js';

export const statusBadge = (s: string) => h('span', { class: `status ${s}`, 'data-status': s }, s);

export interface Column<T> {
  label: string;
  value: (row: T) => string | number | null;
  render?: (row: T) => Node | string;
  numeric?: boolean;
  digits?: number;
  /** Extra content after the label in the header cell (e.g. a remove control). */
  header?: Node;
}

/** Which column sorts a table, by label (so it survives columns being added or removed). */
export interface SortState {
  label: string;
  asc: boolean;
}

/**
 * A table whose column headers sort it (numbers numerically, missing values last). `sort` starts it
 * sorted and is updated in place on every click, so a table redrawn with new rows keeps its order.
 */
export function sortableTable<T>(columns: Column<T>[], rows: T[], attrs: Attrs = {}, sort?: SortState): HTMLTableElement {
  const table = h('table', attrs);
  let sortBy = sort ? columns.findIndex((c) => c.label === sort.label) : -1;
  let asc = sort?.asc ?? true;
  const body = h('tbody');
  const draw = () => {
    clear(body);
    const sorted = [...rows];
    if (sortBy >= 0) {
      const col = columns[sortBy];
      sorted.sort((a, b) => {
        const x = col.value(a);
        const y = col.value(b);
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
    }
    for (const r of sorted) {
      body.append(
        h(
          'tr',
          {},
          ...columns.map((c) => {
            const v = c.value(r);
            return h('td', { class: c.numeric ? 'num' : '' }, c.render ? c.render(r) : c.numeric && typeof v === 'number' ? fmt(v, c.digits ?? 3) : v === null ? '–' : String(v));
          }),
        ),
      );
    }
  };
  const head = h('tr');
  columns.forEach((c, i) => {
    const th = h(
      'th',
      {
        onclick: () => {
          asc = sortBy === i ? !asc : true;
          sortBy = i;
          if (sort) Object.assign(sort, { label: c.label, asc });
          head.querySelectorAll('th').forEach((t) => t.classList.remove('sorted-asc', 'sorted-desc'));
          th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
          draw();
        },
      },
      c.label,
      c.header ?? null,
    );
    if (i === sortBy) th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    head.append(th);
  });
  table.append(h('thead', {}, head), body);
  draw();
  return table;
}
