import { api } from '../api.js';
import { LineChart } from '../charts.js';
import { duration, fmt, h } from '../dom.js';
import { flattenConfig } from '../flattenConfig.js';
import { pairedScatter, parallelCoordinates } from '../../figures/svgChart.js';
import type { RunReport } from '../types.js';

type Compared = Pick<RunReport, 'id' | 'name' | 'dataset' | 'strategy' | 'status' | 'bestDice' | 'bestEpoch' | 'durationMs' | 'epochs' | 'test' | 'config'> & {
  cases: { seriesInstanceUid: string; patientId: string; className: string; dice: number; sensitivity: number | null }[];
};

const HIGHER_IS_BETTER: Record<string, boolean> = { dice: true, iou: true, sensitivity: true, specificity: true, precision: true, hd95: false, assd: false };

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
  // Each run's config leaves as JSON text, so that values compare by content.
  const leaves = runs.map((r) => new Map([...flattenConfig(r.config)].map(([k, v]) => [k, JSON.stringify(v)])));
  const differing = [...new Set(leaves.flatMap((l) => [...l.keys()]))].filter((k) => new Set(leaves.map((l) => l.get(k) ?? '–')).size > 1).sort();
  const settings = differing.length
    ? h(
        'table',
        { id: 'compare-settings' },
        h('thead', {}, h('tr', {}, h('th', {}, 'setting'), ...runs.map((r) => h('th', {}, label(r))))),
        h('tbody', {}, ...differing.map((k) => h('tr', {}, h('td', {}, k), ...leaves.map((l) => h('td', {}, l.get(k) ?? '–'))))),
      )
    : h('p', { class: 'muted', id: 'compare-settings' }, 'These runs have the same settings.');
  // Paired per-case scatter of two chosen runs, and parallel coordinates of the numeric settings that
  // differ against a chosen test metric (SVG from src/figures/svgChart.ts).
  const pickRun = (id: string, i: number) => {
    const select = h('select', { id }, ...runs.map((r, j) => h('option', { value: j, selected: j === i }, label(r))));
    select.addEventListener('change', drawFigures);
    return select;
  };
  const runX = pickRun('scatter-x', 0);
  const runY = pickRun('scatter-y', 1);
  const metricClass = h('select', { id: 'figure-class' }, ...classes.map((c) => h('option', { value: c }, c)));
  metricClass.value = classes.includes('lesion') ? 'lesion' : (classes[classes.length - 1] ?? '');
  metricClass.addEventListener('change', drawFigures);
  const scatter = h('div', { id: 'scatter' });
  const parallel = h('div', { id: 'parallel' });
  const numericDiffering = differing.filter((k) => leaves.every((l) => l.get(k) === undefined || typeof JSON.parse(l.get(k) as string) === 'number'));
  function drawFigures() {
    const cls = metricClass.value;
    const [a, b] = [runs[Number(runX.value)], runs[Number(runY.value)]];
    const points = a.cases
      .filter((c) => c.className === cls)
      .flatMap((c) => {
        const other = b.cases.find((d) => d.className === cls && d.seriesInstanceUid === c.seriesInstanceUid);
        return other ? [{ x: c.dice, y: other.dice, name: c.patientId }] : [];
      });
    scatter.innerHTML = points.length ? pairedScatter(`test Dice of ${cls}, per case`, label(a), label(b), points) : '<p class="muted">These runs share no test case with results.</p>';
    parallel.innerHTML = numericDiffering.length
      ? parallelCoordinates(
          `settings against test Dice of ${cls}`,
          [...numericDiffering, `Dice ${cls}`],
          runs.map((r, i) => ({ name: label(r), values: [...numericDiffering.map((k) => (leaves[i].get(k) === undefined ? null : (JSON.parse(leaves[i].get(k) as string) as number))), r.test?.[cls]?.dice?.mean ?? null] })),
        )
      : '<p class="muted">No numeric setting differs between these runs (parallel coordinates need one).</p>';
  }
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
    h('h2', {}, 'Per case and per setting'),
    h('div', { class: 'toolbar' }, h('label', {}, 'class ', metricClass), h('label', {}, 'x ', runX), h('label', {}, 'y ', runY)),
    h('div', { class: 'charts' }, scatter, parallel),
  );
  drawFigures();
  return () => undefined;
}
