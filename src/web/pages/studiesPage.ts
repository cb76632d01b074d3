import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { presetChoice } from '../presetChoice.js';
import { describeStatusCounts } from '../../studies/statusCounts.js';
import { STUDY_METRICS } from '../../studies/studyMetrics.js';
import type { DatasetDetail } from '../types.js';

interface StudyItem {
  id: string;
  name: string;
  dataset: string;
  arms: string[];
  seeds: number;
  referenceArm: string;
  createdAt: string;
  /** Its runs counted by status, e.g. {completed: 12, queued: 3}. */
  runs: Record<string, number>;
}

/**
 * Comparison studies: the list (each with its self-contained HTML report) and one form that queues
 * arms x seeds on a dataset, as `segfusion study create` does; the arms come from the fusion registry.
 */
export async function studiesPage(root: HTMLElement): Promise<() => void> {
  const [{ items: datasets }, plugins, { items }] = await Promise.all([
    api<{ items: { name: string }[] }>('/datasets?limit=500'),
    api<{ strategies: { name: string; help: string }[]; presets: { name: string; help: string; config: { epochs?: number } }[]; defaults: { epochs: number } }>('/plugins'),
    api<{ items: StudyItem[] }>('/studies'),
  ]);
  const dataset = h('select', { id: 's-dataset', name: 'dataset' }, ...datasets.map((d) => h('option', { value: d.name }, d.name)));
  const name = h('input', { id: 's-name', name: 'name', value: 'fusion study' });
  const arms = h('div', { id: 's-arms' }, ...plugins.strategies.map((s) => h('label', { title: s.help }, h('input', { type: 'checkbox', name: 'arm', value: s.name, checked: true }), ` ${s.name} `)));
  const seeds = h('input', { id: 's-seeds', name: 'seeds', type: 'number', value: 3, min: '1', max: '20' });
  const target = h('input', { id: 's-target', name: 'target', type: 'number', value: 0.9, step: '0.05', min: '0', max: '1' });
  const epochs = h('input', { id: 's-epochs', name: 'epochs', type: 'number', value: plugins.defaults.epochs });
  // The question named before any result: one class and metric, tested in a Holm family of its own.
  const primary = h('select', { id: 's-primary', name: 'primary' });
  const endpoints = new Map<string, { className: string; metric: string }>();
  const primaryChoices = (classes: string[]) => {
    endpoints.clear();
    for (const className of classes) for (const metric of STUDY_METRICS) endpoints.set(`${className}:${metric}`, { className, metric });
    primary.replaceChildren(h('option', { value: '' }, 'none: every comparison in one Holm family'), ...[...endpoints.keys()].map((k) => h('option', { value: k }, k.replace(':', ' '))));
  };
  // The base config every arm starts from: a preset under the form's epochs and target (the API lays it
  // under them); "auto" is the preset the chosen dataset's labels call for, as the API decides.
  const choice = presetChoice('s-preset', plugins.presets);
  const preset = choice.select;
  const presetHelp = h('div', { id: 's-preset-help', class: 'help' });
  const applyPreset = () => {
    const p = plugins.presets.find((x) => x.name === choice.chosen());
    epochs.value = String(p?.config.epochs ?? plugins.defaults.epochs);
    presetHelp.textContent = [choice.autoLine() && `${choice.autoLine()}.`, p?.help ?? ''].filter(Boolean).join(' ');
  };
  preset.addEventListener('change', applyPreset);
  const loadSuggestion = async () => {
    if (!dataset.value) return;
    const detail = await api<DatasetDetail>(`/datasets/${encodeURIComponent(dataset.value)}`);
    choice.suggest(detail.preset);
    primaryChoices(detail.classSizes.map((c) => c.name));
    applyPreset();
  };
  dataset.addEventListener('change', () => void loadSuggestion());
  await loadSuggestion();
  const error = h('div', { class: 'error', id: 's-error' });
  const form = h(
    'form',
    { class: 'grid', id: 'study-form' },
    h('label', { for: 's-name' }, 'Study name'),
    name,
    h('label', { for: 's-dataset' }, 'Dataset'),
    dataset,
    h('label', {}, 'Arms (fusion strategies, same losses)'),
    arms,
    h('label', { for: 's-seeds' }, 'Seeds per arm'),
    seeds,
    h('label', { for: 's-preset' }, 'Preset'),
    preset,
    presetHelp,
    h('label', { for: 's-target' }, 'Lesion (class 2) sensitivity target'),
    target,
    h('label', { for: 's-epochs' }, 'Epochs per run'),
    epochs,
    h('label', { for: 's-primary' }, 'Primary endpoint'),
    primary,
    error,
    h('span'),
    h('button', { type: 'submit' }, 'Queue the study'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const chosen = [...arms.querySelectorAll<HTMLInputElement>('input:checked')].map((c) => c.value);
    try {
      await api('/studies', {
        method: 'POST',
        body: {
          name: name.value,
          dataset: dataset.value,
          arms: chosen,
          seeds: Number(seeds.value),
          baseConfig: { epochs: Number(epochs.value), ...(Number(target.value) > 0 ? { sensitivityTargets: { '2': Number(target.value) } } : {}) },
          preset: preset.value,
          ...(endpoints.has(primary.value) ? { primaryEndpoint: endpoints.get(primary.value) } : {}),
        },
      });
      location.hash = '#/studies';
      location.reload();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      error.textContent = err.message;
    }
  });
  const list = items.length
    ? h(
        'table',
        { 'data-table': 'studies' },
        h('thead', {}, h('tr', {}, ...['study', 'dataset', 'arms', 'seeds', 'reference', 'runs', 'created', 'report'].map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          ...items.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, s.name),
              h('td', {}, s.dataset),
              h('td', {}, s.arms.join(', ')),
              h('td', { class: 'num' }, s.seeds),
              h('td', {}, s.referenceArm),
              h('td', { 'data-runs': '' }, describeStatusCounts(s.runs)),
              h('td', {}, s.createdAt.slice(0, 16).replace('T', ' ')),
              h('td', {}, h('a', { href: `/api/studies/${s.id}/report.html` }, 'HTML report')),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No studies yet.');
  root.append(h('h1', {}, 'Studies'), list, h('h2', {}, 'New study'), h('p', { class: 'muted' }, "One queued run per arm and seed; each seed's split and budget is shared by every arm, so test cases pair up."), form);
  return () => undefined;
}
