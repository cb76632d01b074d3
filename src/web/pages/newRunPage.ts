import { api, ApiError } from '../api.js';
import { duration, h } from '../dom.js';
import { estimateRunTime } from '../estimate.js';
import type { DatasetInfo, RunListItem } from '../types.js';

const SIZES: Record<string, { depth: number; baseFilters: number }> = {
  'small (3 levels, 8 filters)': { depth: 3, baseFilters: 8 },
  'default (3 levels, 16 filters)': { depth: 3, baseFilters: 16 },
  'large (4 levels, 32 filters)': { depth: 4, baseFilters: 32 },
};
/** GET /api/plugins: the loss and fusion registries, with each member's help and options schema. */
interface Plugins {
  losses: { name: string; help: string }[];
  strategies: { name: string; help: string; options: { properties?: Record<string, { description?: string }> } }[];
}
/** Losses ticked by default: the default run config's. */
const DEFAULT_LOSSES = ['dice', 'focal', 'sensitivitySpecificity'];

/** The launch form: validated by the API, whose 400 names each wrong field; shown beside it. */
export async function newRunPage(root: HTMLElement): Promise<() => void> {
  const [{ items }, plugins, { items: pastRuns }] = await Promise.all([api<{ items: { name: string }[] }>('/datasets?limit=500'), api<Plugins>('/plugins'), api<{ items: RunListItem[] }>('/runs?limit=500')]);
  const field = (label: string, input: HTMLElement, name: string) => [h('label', { for: `f-${name}` }, label), input, h('div', { class: 'error', 'data-error-for': name })];
  const num = (name: string, value: number, step = 1) => h('input', { id: `f-${name}`, name, type: 'number', value, step: String(step) });
  const dataset = h('select', { id: 'f-dataset', name: 'dataset' }, ...items.map((d) => h('option', { value: d.name }, d.name)));
  const size = h('select', { id: 'f-size', name: 'size' }, ...Object.keys(SIZES).map((k) => h('option', { value: k, selected: k.startsWith('default') }, k)));
  const losses = h('div', { id: 'f-losses' }, ...plugins.losses.map((l) => h('label', { title: l.help }, h('input', { type: 'checkbox', name: 'loss', value: l.name, checked: DEFAULT_LOSSES.includes(l.name) }), ` ${l.name} `)));
  const strategy = h('select', { id: 'f-strategy', name: 'strategy' }, ...plugins.strategies.map((s) => h('option', { value: s.name, title: s.help }, s.name)));
  const strategyHelp = h('div', { id: 'f-strategy-help', class: 'help' });
  const targetClass = h('select', { id: 'f-target-class', name: 'targetClass' }, h('option', { value: '' }, 'none'));
  const targetValue = num('targetValue', 0.9, 0.05);
  const inputs = {
    name: h('input', { id: 'f-name', name: 'name', placeholder: 'optional' }),
    epochs: num('epochs', 24),
    batchesPerEpoch: num('batchesPerEpoch', 25),
    batchSize: num('batchSize', 8),
    patchSize: num('patchSize', 64),
    learningRate: num('learningRate', 0.002, 0.0001),
    seed: num('seed', 1),
    test: num('test', 0.2, 0.05),
    validation: num('validation', 0.2, 0.05),
    fold: h('input', { id: 'f-fold', name: 'fold', placeholder: 'e.g. 0/5 for k-fold' }),
  };
  const loadClasses = async () => {
    if (!dataset.value) return;
    const d = await api<DatasetInfo>(`/datasets/${encodeURIComponent(dataset.value)}`);
    targetClass.replaceChildren(
      h('option', { value: '' }, 'none'),
      ...Object.entries(d.classMap)
        .filter(([v]) => v !== '0')
        .map(([v, c]) => h('option', { value: v, selected: c === 'lesion' }, c)),
    );
  };
  dataset.addEventListener('change', () => void loadClasses());
  await loadClasses();
  // The help of the chosen strategy (the sensitivity target is the run's, whatever the strategy).
  // Its options, each with its one line of help from the registry (set in a run config's fusion.options).
  const showStrategy = () => {
    const p = plugins.strategies.find((s) => s.name === strategy.value);
    const options = Object.entries(p?.options.properties ?? {});
    strategyHelp.replaceChildren(
      h('div', {}, p?.help ?? ''),
      options.length ? h('details', {}, h('summary', {}, `${options.length} option(s), set in a run config's fusion.options`), h('ul', {}, ...options.map(([name, o]) => h('li', {}, h('code', {}, name), ` ${o.description ?? ''}`)))) : '',
    );
  };
  strategy.addEventListener('change', showStrategy);
  // An estimate of the run time from this server's completed runs, updated as the form changes.
  const estimate = h('div', { id: 'f-estimate', class: 'help' });
  const showEstimate = () => {
    const e = estimateRunTime(
      { epochs: Number(inputs.epochs.value), batchesPerEpoch: Number(inputs.batchesPerEpoch.value), batchSize: Number(inputs.batchSize.value), patchSize: Number(inputs.patchSize.value), model: SIZES[size.value] },
      pastRuns,
    );
    estimate.textContent = e
      ? `estimated run time about ${duration(Math.round(e.ms))}, from run ${e.basis.name ?? e.basis.id.slice(0, 8)} on this server (${Math.round(e.msPerBatch)} ms per batch, validation included)`
      : 'no estimate of the run time yet: no run has completed on this server';
  };
  for (const el of [size, inputs.epochs, inputs.batchesPerEpoch, inputs.batchSize, inputs.patchSize]) el.addEventListener('input', showEstimate);
  const banner = h('div', { id: 'form-error' });
  const form = h(
    'form',
    { class: 'grid', id: 'launch' },
    ...field('Dataset', dataset, 'config.dataset'),
    ...field('Run name', inputs.name, 'name'),
    ...field('Model size', size, 'config.model'),
    ...field('Loss terms', losses, 'config.losses'),
    ...field('Fusion strategy', strategy, 'config.fusion'),
    strategyHelp,
    ...field('Sensitivity target: class', targetClass, 'targetClass'),
    ...field('Sensitivity target: value', targetValue, 'config.sensitivityTargets'),
    ...field('Epochs', inputs.epochs, 'config.epochs'),
    ...field('Batches per epoch', inputs.batchesPerEpoch, 'config.batchesPerEpoch'),
    ...field('Batch size', inputs.batchSize, 'config.sampling.batchSize'),
    ...field('Patch size (pixels)', inputs.patchSize, 'config.sampling.patchSize'),
    ...field('Learning rate', inputs.learningRate, 'config.optimizer.learningRate'),
    ...field('Seed', inputs.seed, 'config.seed'),
    ...field('Test fraction', inputs.test, 'config.split.test'),
    ...field('Validation fraction', inputs.validation, 'config.split.validation'),
    ...field('Fold (i/k)', inputs.fold, 'config.split.fold'),
    h('span'),
    estimate,
    h('span'),
    h('button', { type: 'submit' }, 'Launch training'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.querySelectorAll('.error').forEach((el) => (el.textContent = ''));
    form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    banner.replaceChildren();
    const fold = /^(\d+)\/(\d+)$/.exec(inputs.fold.value.trim());
    if (inputs.fold.value.trim() && !fold) {
      (form.querySelector('[data-error-for="config.split.fold"]') as HTMLElement).textContent = 'write it as i/k, e.g. 0/5';
      return;
    }
    const strategyValue = strategy.value;
    const config = {
      dataset: dataset.value,
      seed: Number(inputs.seed.value),
      model: SIZES[size.value],
      losses: [...losses.querySelectorAll<HTMLInputElement>('input:checked')].map((c) => ({ name: c.value, options: c.value === 'focal' ? { gamma: 2 } : {} })),
      fusion: { strategy: strategyValue, options: {} },
      sensitivityTargets: targetClass.value ? { [targetClass.value]: Number(targetValue.value) } : {},
      epochs: Number(inputs.epochs.value),
      batchesPerEpoch: Number(inputs.batchesPerEpoch.value),
      sampling: { batchSize: Number(inputs.batchSize.value), patchSize: Number(inputs.patchSize.value) },
      optimizer: { learningRate: Number(inputs.learningRate.value) },
      split: { test: Number(inputs.test.value), validation: Number(inputs.validation.value), ...(fold ? { fold: { index: Number(fold[1]), folds: Number(fold[2]) } } : {}) },
    };
    try {
      const r = await api<{ run: { id: string } }>('/runs', { method: 'POST', body: { config, ...(inputs.name.value ? { name: inputs.name.value } : {}) } });
      location.hash = `#/runs/${r.run.id}`;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      for (const issue of err.issues) {
        // The deepest form field whose name prefixes the issue's path shows the message.
        const target = [...form.querySelectorAll<HTMLElement>('[data-error-for]')]
          .filter((el) => issue.field.startsWith(el.dataset.errorFor as string))
          .sort((a, b) => (b.dataset.errorFor as string).length - (a.dataset.errorFor as string).length)[0];
        if (target) {
          target.textContent = `${issue.field}: ${issue.message}`;
          target.previousElementSibling?.classList.add('invalid');
        }
      }
      banner.append(h('div', { class: 'banner' }, err.message));
    }
  });
  root.append(h('h1', {}, 'Launch a training run'), banner, form);
  showStrategy();
  showEstimate();
  return () => undefined;
}
