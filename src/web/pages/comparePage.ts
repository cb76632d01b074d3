import { api } from '../api.js';
import { LineChart } from '../charts.js';
import { duration, fmt, h } from '../dom.js';
import type { RunReport } from '../types.js';

type Compared = Pick<RunReport, 'id' | 'name' | 'dataset' | 'strategy' | 'status' | 'bestDice' | 'bestEpoch' | 'durationMs' | 'epochs' | 'test' | 'config'>;

const HIGHER_IS_BETTER: Record<string, boolean> = { dice: true, iou: true, sensitivity: true, specificity: true, precision: true, hd95: false, assd: false };

/** Leaf values of a config by dotted path, arrays and objects in arrays as JSON. */
function configLeaves(obj: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) for (const [k, v] of Object.entries(obj as Record<string, unknown>)) configLeaves(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, JSON.stringify(obj));
  return out;
}

/**
 * 2-20 runs: the settings in which they differ (and only those), overlaid validation curves, and
 * per-class test metrics side by side with the best highlighted.
 */
export async function comparePage(root: HTMLElement, ids: string[]): Promise<() => void> {
  const runs = await api<Compared[]>(`/runs/compare?runs=${ids.map(encodeURIComponent).join(',')}`);
  const label = (r: Compared) => `${r.name ?? r.id.slice(0, 8)} (${r.strategy})`;
  const epochs = [...new Set(runs.flatMap((r) => r.epochs.map((e) => e.epoch)))].sort((a, b) => a - b);
  const at = (r: Compared, pick: (e: Compared['epochs'][number]) => number | null) =>
    epochs.map((x) => {
      const e = r.epochs.find((y) => y.epoch === x);
      return e ? pick(e) : null;
    });
  const dice = new LineChart('Validation mean foreground Dice', 'epoch');
  // Epochs shown from 1, as on the run page.
  const shown = epochs.map((e) => e + 1);
  dice.update(
    shown,
    runs.map((r) => ({ label: label(r), values: at(r, (e) => e.valDice) })),
  );
  const loss = new LineChart('Training loss (epoch mean)', 'epoch', { log: true });
  loss.update(
    shown,
    runs.map((r) => ({ label: label(r), values: at(r, (e) => e.loss) })),
  );
  const classes = [...new Set(runs.flatMap((r) => Object.keys(r.test ?? {})))];
  const rows = classes.flatMap((cls) =>
    Object.keys(HIGHER_IS_BETTER).map((m) => {
      const values = runs.map((r) => r.test?.[cls]?.[m]?.mean ?? null);
      const defined = values.filter((v): v is number => v !== null);
      const best = defined.length ? (HIGHER_IS_BETTER[m] ? Math.max(...defined) : Math.min(...defined)) : null;
      return h(
        'tr',
        {},
        h('td', {}, cls),
        h('td', {}, m),
        ...values.map((v, i) => {
          const diff = i > 0 && v !== null && values[0] !== null ? v - values[0] : null;
          const worse = diff !== null && (HIGHER_IS_BETTER[m] ? diff < 0 : diff > 0);
          return h('td', { class: `num ${v !== null && v === best && defined.length > 1 ? 'best' : ''} ${worse ? 'worse' : ''}` }, fmt(v), diff !== null ? h('span', { class: 'muted' }, ` (${diff >= 0 ? '+' : ''}${fmt(diff)})`) : '');
        }),
      );
    }),
  );
  const leaves = runs.map((r) => configLeaves(r.config));
  const differing = [...new Set(leaves.flatMap((l) => [...l.keys()]))].filter((k) => new Set(leaves.map((l) => l.get(k) ?? '–')).size > 1).sort();
  const settings = differing.length
    ? h(
        'table',
        { id: 'compare-settings' },
        h('thead', {}, h('tr', {}, h('th', {}, 'setting'), ...runs.map((r) => h('th', {}, label(r))))),
        h('tbody', {}, ...differing.map((k) => h('tr', {}, h('td', {}, k), ...leaves.map((l) => h('td', {}, l.get(k) ?? '–'))))),
      )
    : h('p', { class: 'muted', id: 'compare-settings' }, 'These runs have the same settings.');
  root.append(
    h('h1', {}, `Compare ${runs.length} runs`),
    h(
      'table',
      { id: 'compare-runs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'dataset'), h('th', {}, 'status'), h('th', {}, 'best val Dice'), h('th', {}, 'duration'), h('th', {}, 'losses'))),
      h(
        'tbody',
        {},
        ...runs.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/runs/${r.id}` }, label(r))),
            h('td', {}, r.dataset),
            h('td', {}, r.status),
            h('td', { class: 'num' }, fmt(r.bestDice)),
            h('td', {}, duration(r.durationMs)),
            h('td', {}, ((r.config.losses as { name: string }[] | undefined) ?? []).map((l) => l.name).join(' + ')),
          ),
        ),
      ),
    ),
    h('h2', {}, 'Settings that differ'),
    settings,
    h('div', { class: 'charts' }, dice.el, loss.el),
    h('h2', {}, 'Test split, per class (mean over cases; difference to the first run in brackets)'),
    classes.length
      ? h('table', { id: 'compare-metrics' }, h('thead', {}, h('tr', {}, h('th', {}, 'class'), h('th', {}, 'metric'), ...runs.map((r) => h('th', {}, label(r))))), h('tbody', {}, ...rows))
      : h('p', { class: 'muted' }, 'None of these runs has test results yet.'),
  );
  return () => undefined;
}
