import { api, ApiError } from '../api.js';
import { duration, h } from '../dom.js';
import { estimateRunTime } from '../estimate.js';
import { flattenConfig } from '../flattenConfig.js';
import { presetChoice } from '../presetChoice.js';
import { collectOptions, optionFields, type JsonSchema, type OptionField } from '../optionFields.js';
import type { DatasetDetail, RunListItem } from '../types.js';

const SIZES: Record<string, { depth: number; baseFilters: number }> = {
  'small (3 levels, 8 filters)': { depth: 3, baseFilters: 8 },
  'default (3 levels, 16 filters)': { depth: 3, baseFilters: 16 },
  'large (4 levels, 32 filters)': { depth: 4, baseFilters: 32 },
};
/** The "counts" choice that asks for a lesion-wise target calibrated conformally (operatingPoint.conformal). */
const CONFORMAL = 'lesion-conformal';

/** The part of the default run config the form starts from (GET /api/plugins' `defaults`). */
interface RunDefaults {
  seed: number;
  epochs: number;
  batchesPerEpoch: number;
  sampling: { batchSize: number; patchSize: number };
  optimizer: { learningRate: number };
  split: { test: number; validation: number };
  losses: { name: string; options: Record<string, unknown> }[];
  fusion: { strategy: string; options: Record<string, unknown> };
  operatingPoint: { basis: 'voxel' | 'lesion' };
}
/** GET /api/plugins: the loss and fusion registries, with each member's help and options schema, the presets and the run defaults. */
interface Plugins {
  losses: { name: string; help: string; docs: string; options: JsonSchema }[];
  strategies: { name: string; help: string; docs: string; options: JsonSchema }[];
  presets: { name: string; help: string; docs: string; config: Record<string, unknown> }[];
  defaults: RunDefaults;
}

/**
 * A plug-in's option fields in a box of their own, shown only while the plug-in is chosen; each field
 * has its one line of help and an error slot the API's answer fills. `errorPrefix` names the options
 * in the run config (config.fusion.options, or config.losses.<i>.options once the loss's index is known).
 */
function optionsBox(kind: string, name: string, schema: JsonSchema, initial: Record<string, unknown>, docs: string) {
  const fields = optionFields(schema, initial);
  const id = (f: OptionField) => `f-${kind}-${name}-${f.path.join('-')}`;
  const inputs = fields.map((f) => {
    const attrs = { id: id(f), name: f.path.join('.'), title: f.help };
    if (f.kind === 'boolean') return h('select', attrs, ...['true', 'false'].map((v) => h('option', { value: v, selected: String(f.initial) === v }, v)));
    if (f.kind === 'choice') return h('select', attrs, ...(f.choices ?? []).map((v) => h('option', { value: v, selected: f.initial === v }, v)));
    if (f.kind === 'numbers') return h('input', { ...attrs, placeholder: 'comma-separated numbers (default when empty)', value: Array.isArray(f.initial) ? f.initial.join(', ') : '' });
    return h('input', { ...attrs, type: 'number', step: 'any', value: f.initial === undefined ? '' : String(f.initial), min: f.min, max: f.max });
  });
  const errors = fields.map(() => h('div', { class: 'error' }));
  // Folded by default (the defaults are the run config's); an error from the API opens it.
  const box = h(
    'details',
    { class: 'options', 'data-options-for': `${kind}:${name}`, hidden: true },
    h('summary', {}, `${name} options (${fields.map((f) => f.path.join('.')).join(', ')})`),
    h('div', { class: 'help' }, h('a', { href: docs, target: '_blank', rel: 'noopener' }, `how ${name} works (docs)`)),
    h('div', { class: 'option-fields' }, ...fields.flatMap((f, i) => [h('label', { for: id(f) }, f.path.join('.')), inputs[i], errors[i], h('div', { class: 'help' }, f.help)])),
  );
  return {
    box,
    /** The entered options, and the error slots named for where they go in the run config. */
    collect: (errorPrefix: string) => {
      errors.forEach((e, i) => e.setAttribute('data-error-for', `${errorPrefix}.${fields[i].path.join('.')}`));
      return collectOptions(
        fields,
        inputs.map((el) => el.value),
      );
    },
  };
}

/** The launch form: validated by the API, whose 400 names each wrong field; shown beside it. */
export async function newRunPage(root: HTMLElement): Promise<() => void> {
  const [{ items }, plugins, { items: pastRuns }] = await Promise.all([api<{ items: { name: string }[] }>('/datasets?limit=500'), api<Plugins>('/plugins'), api<{ items: RunListItem[] }>('/runs?limit=500')]);
  const field = (label: string, input: HTMLElement, name: string) => [h('label', { for: `f-${name}` }, label), input, h('div', { class: 'error', 'data-error-for': name })];
  const num = (name: string, value: number, step = 1) => h('input', { id: `f-${name}`, name, type: 'number', value, step: String(step) });
  const dataset = h('select', { id: 'f-dataset', name: 'dataset' }, ...items.map((d) => h('option', { value: d.name }, d.name)));
  const size = h('select', { id: 'f-size', name: 'size' }, ...Object.keys(SIZES).map((k) => h('option', { value: k, selected: k.startsWith('default') }, k)));
  const d = plugins.defaults;
  const defaultLoss = (name: string) => d.losses.find((l) => l.name === name);
  const losses = h('div', { id: 'f-losses' }, ...plugins.losses.map((l) => h('label', { title: l.help }, h('input', { type: 'checkbox', name: 'loss', value: l.name, checked: Boolean(defaultLoss(l.name)) }), ` ${l.name} `)));
  const lossOptions = new Map(plugins.losses.map((l) => [l.name, optionsBox('loss', l.name, l.options, defaultLoss(l.name)?.options ?? {}, l.docs)]));
  const strategy = h('select', { id: 'f-strategy', name: 'strategy' }, ...plugins.strategies.map((s) => h('option', { value: s.name, title: s.help, selected: s.name === d.fusion.strategy }, s.name)));
  const strategyOptions = new Map(plugins.strategies.map((s) => [s.name, optionsBox('strategy', s.name, s.options, s.name === d.fusion.strategy ? d.fusion.options : {}, s.docs)]));
  const strategyHelp = h('div', { id: 'f-strategy-help', class: 'help' });
  const tickedLosses = () => [...losses.querySelectorAll<HTMLInputElement>('input:checked')].map((c) => c.value);
  const targetClass = h('select', { id: 'f-target-class', name: 'targetClass' }, h('option', { value: '' }, 'none'));
  const targetValue = num('targetValue', 0.9, 0.05);
  const targetBasis = h(
    'select',
    {
      id: 'f-target-basis',
      name: 'targetBasis',
      title:
        'voxels: the share of the class’s voxels labelled; lesions: the share of its lesions (connected components) with a voxel labelled; conformal: the threshold must find ⌈(n + 1) × target⌉ of the n validation lesions, so that the expected share found on new lesions is at least the target',
    },
    h('option', { value: 'voxel', selected: d.operatingPoint.basis === 'voxel' }, 'voxels'),
    h('option', { value: 'lesion', selected: d.operatingPoint.basis === 'lesion' }, 'lesions found'),
    h('option', { value: CONFORMAL }, 'lesions found, conformal guarantee'),
  ) as HTMLSelectElement;
  const inputs = {
    name: h('input', { id: 'f-name', name: 'name', placeholder: 'optional' }),
    epochs: num('epochs', d.epochs),
    batchesPerEpoch: num('batchesPerEpoch', d.batchesPerEpoch),
    batchSize: num('batchSize', d.sampling.batchSize),
    patchSize: num('patchSize', d.sampling.patchSize),
    learningRate: num('learningRate', d.optimizer.learningRate, 0.0001),
    seed: num('seed', d.seed),
    test: num('test', d.split.test, 0.05),
    validation: num('validation', d.split.validation, 0.05),
    fold: h('input', { id: 'f-fold', name: 'fold', placeholder: 'e.g. 0/5 for k-fold' }),
    priority: h('input', { id: 'f-priority', name: 'priority', type: 'number', value: '0', step: '1', min: '-100', max: '100' }),
    requires: h('input', { id: 'f-requires', name: 'requires', placeholder: 'worker tags, e.g. gpu (any worker when empty)' }),
  };
  // A preset fills the fields it sets (the form's values then override it, as a config file's would)
  // and names the settings the form has no field for; the API lays it under the submitted config.
  // "auto" is the preset the chosen dataset's labels call for (the API decides the same way).
  const choice = presetChoice('f-preset', plugins.presets);
  const preset = choice.select;
  const presetHelp = h('div', { id: 'f-preset-help', class: 'help' });
  const presetFields: Record<string, HTMLInputElement | HTMLSelectElement> = {
    epochs: inputs.epochs,
    batchesPerEpoch: inputs.batchesPerEpoch,
    'sampling.batchSize': inputs.batchSize,
    'sampling.patchSize': inputs.patchSize,
    'optimizer.learningRate': inputs.learningRate,
    seed: inputs.seed,
    'split.test': inputs.test,
    'split.validation': inputs.validation,
    'operatingPoint.basis': targetBasis,
  };
  const defaults = flattenConfig(d);
  const applyPreset = () => {
    const p = plugins.presets.find((x) => x.name === choice.chosen());
    const set = flattenConfig(p?.config ?? {});
    for (const [key, el] of Object.entries(presetFields)) el.value = String(set.get(key) ?? defaults.get(key));
    // The "counts" choice stands for two fields: a conformal lesion target is its third option.
    if (set.get('operatingPoint.conformal') === true) targetBasis.value = CONFORMAL;
    const elsewhere = [...set].filter(([key]) => !(key in presetFields) && key !== 'operatingPoint.conformal');
    presetHelp.replaceChildren(
      choice.autoLine() ? h('div', { id: 'f-preset-auto' }, choice.autoLine()) : '',
      ...(p
        ? [
            h('div', {}, p.help, ' ', h('a', { href: p.docs, target: '_blank', rel: 'noopener' }, 'measured (docs)')),
            elsewhere.length ? h('div', { id: 'f-preset-also' }, 'Also sets: ', ...elsewhere.map(([key, v]) => h('code', {}, `${key} ${JSON.stringify(v)} `))) : '',
          ]
        : []),
    );
    showEstimate();
  };
  preset.addEventListener('change', applyPreset);
  const loadClasses = async () => {
    if (!dataset.value) return;
    const d = await api<DatasetDetail>(`/datasets/${encodeURIComponent(dataset.value)}`);
    choice.suggest(d.preset);
    if (preset.value === 'auto') applyPreset();
    targetClass.replaceChildren(
      h('option', { value: '' }, 'none'),
      ...Object.entries(d.classMap)
        .filter(([v]) => v !== '0')
        .map(([v, c]) => h('option', { value: v, selected: c === 'lesion' }, c)),
    );
  };
  dataset.addEventListener('change', () => void loadClasses());
  // Only the chosen strategy's options and the ticked losses' are shown (the sensitivity target is the
  // run's, whatever the strategy); options the form cannot hold (records) are listed for a run config.
  const showPlugins = () => {
    const p = plugins.strategies.find((s) => s.name === strategy.value);
    const shown = new Set(optionFields(p?.options ?? {}).map((f) => f.path[0]));
    const elsewhere = Object.entries(p?.options.properties ?? {}).filter(([name]) => !shown.has(name));
    strategyHelp.replaceChildren(
      h('div', {}, p?.help ?? '', ' ', p ? h('a', { id: 'f-strategy-docs', href: p.docs, target: '_blank', rel: 'noopener' }, 'docs') : ''),
      elsewhere.length ? h('div', {}, 'Set in a run config file only: ', ...elsewhere.map(([name, o]) => h('span', { title: o.description ?? '' }, h('code', {}, name), ' '))) : '',
    );
    for (const [name, o] of strategyOptions) o.box.hidden = name !== strategy.value;
    const ticked = new Set(tickedLosses());
    for (const [name, o] of lossOptions) o.box.hidden = !ticked.has(name);
  };
  strategy.addEventListener('change', showPlugins);
  losses.addEventListener('change', showPlugins);
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
  await loadClasses();
  const banner = h('div', { id: 'form-error' });
  const form = h(
    'form',
    // The API's answer, in plain words with a value to try, is the validation: not the browser's bubbles.
    { class: 'grid', id: 'launch', novalidate: true },
    ...field('Dataset', dataset, 'config.dataset'),
    ...field('Run name', inputs.name, 'name'),
    ...field('Preset', preset, 'preset'),
    presetHelp,
    ...field('Model size', size, 'config.model'),
    ...field('Loss terms', losses, 'config.losses'),
    ...[...lossOptions.values()].map((o) => o.box),
    ...field('Fusion strategy', strategy, 'config.fusion'),
    strategyHelp,
    ...[...strategyOptions.values()].map((o) => o.box),
    ...field('Sensitivity target: class', targetClass, 'targetClass'),
    ...field('Sensitivity target: value', targetValue, 'config.sensitivityTargets'),
    ...field('Sensitivity target: counts', targetBasis, 'config.operatingPoint.basis'),
    ...field('Epochs', inputs.epochs, 'config.epochs'),
    ...field('Batches per epoch', inputs.batchesPerEpoch, 'config.batchesPerEpoch'),
    ...field('Batch size', inputs.batchSize, 'config.sampling.batchSize'),
    ...field('Patch size (pixels)', inputs.patchSize, 'config.sampling.patchSize'),
    ...field('Learning rate', inputs.learningRate, 'config.optimizer.learningRate'),
    ...field('Seed', inputs.seed, 'config.seed'),
    ...field('Test fraction', inputs.test, 'config.split.test'),
    ...field('Validation fraction', inputs.validation, 'config.split.validation'),
    ...field('Fold (i/k)', inputs.fold, 'config.split.fold'),
    ...field('Queue priority', inputs.priority, 'priority'),
    ...field('Requires worker tags', inputs.requires, 'requires'),
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
      losses: tickedLosses().map((name, i) => ({ name, options: lossOptions.get(name)?.collect(`config.losses.${i}.options`) ?? {} })),
      fusion: { strategy: strategyValue, options: strategyOptions.get(strategyValue)?.collect('config.fusion.options') ?? {} },
      sensitivityTargets: targetClass.value ? { [targetClass.value]: Number(targetValue.value) } : {},
      // conformal: false said outright, or a preset laid under the config would keep its true.
      operatingPoint: targetBasis.value === CONFORMAL ? { basis: 'lesion', conformal: true } : { basis: targetBasis.value, conformal: false },
      epochs: Number(inputs.epochs.value),
      batchesPerEpoch: Number(inputs.batchesPerEpoch.value),
      sampling: { batchSize: Number(inputs.batchSize.value), patchSize: Number(inputs.patchSize.value) },
      optimizer: { learningRate: Number(inputs.learningRate.value) },
      split: { test: Number(inputs.test.value), validation: Number(inputs.validation.value), ...(fold ? { fold: { index: Number(fold[1]), folds: Number(fold[2]) } } : {}) },
    };
    try {
      const requires = inputs.requires.value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const queue = { priority: Number(inputs.priority.value || 0), ...(requires.length ? { requires } : {}) };
      const r = await api<{ run: { id: string } }>('/runs', { method: 'POST', body: { config, ...queue, ...(inputs.name.value ? { name: inputs.name.value } : {}), preset: preset.value } });
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
          const folded = target.closest('details');
          if (folded) folded.open = true;
        }
      }
      banner.append(h('div', { class: 'banner' }, err.message));
    }
  });
  root.append(h('h1', {}, 'Launch a training run'), banner, form);
  showPlugins();
  showEstimate();
  return () => undefined;
}
