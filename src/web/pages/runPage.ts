import { api, ApiError, subscribe } from '../api.js';
import { colorFor, LineChart, type Series } from '../charts.js';
import { aggregate, clear, duration, fmt, h, sortableTable, statusBadge } from '../dom.js';
import { frocEnvelope } from '../../metrics/frocEnvelope.js';
import { coarseTargetNote } from '../../train/coarseTarget.js';
import { pickedPoint } from '../../train/curvePoints.js';
import type { Curves, RunReport } from '../types.js';

type CaseRow = RunReport['cases'][number];
const METRICS = ['dice', 'iou', 'sensitivity', 'specificity', 'precision', 'hd95', 'assd'] as const;

/** Per class: mean ± std (median) over cases of each metric. */
function classTable(cases: CaseRow[], split: string): HTMLElement {
  const rows = cases.filter((c) => c.split === split);
  if (!rows.length) return h('p', { class: 'muted' }, `No ${split} cases evaluated yet (the best checkpoint is evaluated when the run ends).`);
  const classes = [...new Set(rows.map((c) => c.className))];
  return h(
    'table',
    { 'data-table': `classes-${split}` },
    h('thead', {}, h('tr', {}, h('th', {}, 'class'), ...METRICS.map((m) => h('th', {}, m)), h('th', {}, 'cases'))),
    h(
      'tbody',
      {},
      ...classes.map((cls) => {
        const of = rows.filter((c) => c.className === cls);
        return h(
          'tr',
          {},
          h('td', {}, cls),
          ...METRICS.map((m) => {
            const a = aggregate(of.map((c) => c[m]));
            const d = m === 'hd95' || m === 'assd' ? 2 : 3;
            return h('td', { class: 'num' }, a.mean === null ? '–' : `${fmt(a.mean, d)} ± ${fmt(a.std, d)} (${fmt(a.median, d)})`);
          }),
          h('td', { class: 'num' }, of.length),
        );
      }),
    ),
  );
}

/** The thresholds calibrated on validation for the sensitivity targets, and what they reach on test. */
function operatingPointTable(run: RunReport): HTMLElement {
  const op = run.operatingPoint;
  if (!op) return h('p', { class: 'muted' }, 'No sensitivity targets: predictions are the arg-max of the class probabilities.');
  const names = run.plan?.classNames ?? [];
  const cautions = Object.entries(op).flatMap(([c, p]) => {
    const coarse = coarseTargetNote(p);
    return coarse ? [h('p', { class: 'warning', 'data-caution': c }, `Caution, ${names[Number(c)] ?? `class ${c}`}: ${coarse}.`)] : [];
  });
  const table = h(
    'table',
    { 'data-table': 'operating-point' },
    h(
      'thead',
      {},
      h('tr', {}, ...['class', 'target', 'threshold', 'validation sensitivity', 'validation precision', 'validation false positives per case', 'met on validation', 'test sensitivity [95 % CI]', 'test cases'].map((t) => h('th', {}, t))),
    ),
    h(
      'tbody',
      {},
      ...Object.entries(op).map(([c, p]) =>
        h(
          'tr',
          {},
          h('td', {}, names[Number(c)] ?? `class ${c}`),
          h('td', { class: 'num' }, `${fmt(p.target)}${p.basis === 'lesion' ? (p.conformal ? ' (lesions found, conformal)' : ' (lesions found)') : ''}`),
          // Two thresholds for a lesion target: lesions exist from the first, their voxels are drawn at the second.
          h(
            'td',
            { class: 'num', title: p.outlineThreshold === undefined ? '' : 'detection threshold; outline threshold (a lesion only the detection threshold reaches is outlined at half its peak)' },
            p.threshold === null ? 'arg-max' : p.outlineThreshold === undefined ? fmt(p.threshold, 2) : `${fmt(p.threshold, 2)}; outline ${fmt(p.outlineThreshold, 2)}`,
          ),
          h('td', { class: 'num' }, fmt(p.validationSensitivity)),
          h('td', { class: 'num' }, fmt(p.validationPrecision)),
          h(
            'td',
            { class: 'num', title: 'mean per validation case: 26-connected components of p >= threshold touching no lesion; with two thresholds, the objects drawn (outline components, faint lesions) that label no lesion voxel' },
            fmt(pickedPoint(p)?.falsePositivesPerCase, 1),
          ),
          h(
            'td',
            { class: p.met ? '' : 'error' },
            p.met ? 'yes' : `no: cannot be met${p.minPrecision > 0 ? ` at precision >= ${p.minPrecision}` : ''}${p.maxFalsePositivesPerCase === undefined ? '' : ` within ${p.maxFalsePositivesPerCase} false positives per case`}`,
          ),
          h('td', { class: 'num' }, p.test ? `${fmt(p.test.sensitivity)} [${fmt(p.test.ci[0])}, ${fmt(p.test.ci[1])}]` : '–'),
          h('td', { class: 'num' }, p.test?.n ?? 0),
        ),
      ),
    ),
  );
  return cautions.length ? h('div', {}, table, ...cautions) : table;
}

/**
 * Per target class, the validation trade-off the threshold was picked from: voxel sensitivity,
 * precision, Dice and the share of lesions found by threshold, with the target as a dashed line, so the
 * price of the target in Dice is seen.
 */
function tradeOffCharts(run: RunReport): HTMLElement {
  const names = run.plan?.classNames ?? [];
  const box = h('div', { class: 'charts' });
  for (const [c, p] of Object.entries(run.operatingPoint ?? {})) {
    if (!p.curve?.length) continue;
    const chart = new LineChart(`${names[Number(c)] ?? `class ${c}`} on validation: sensitivity, precision, Dice and lesions found by threshold (chosen ${p.threshold ?? 'arg-max'})`, 'threshold', { fractionalX: true });
    box.append(chart.el);
    chart.update(
      p.curve.map((q) => q.t),
      [
        { label: 'sensitivity', values: p.curve.map((q) => q.sensitivity) },
        { label: 'precision', values: p.curve.map((q) => q.precision) },
        { label: 'Dice', values: p.curve.map((q) => q.dice) },
        { label: 'lesions found', values: p.curve.map((q) => q.detection) },
        { label: `target (${p.basis === 'lesion' ? 'lesions found' : 'sensitivity'})`, values: p.curve.map(() => p.target), dash: true },
      ],
    );
  }
  return box;
}

/**
 * Per target class, the test split's free-response curve (lesions found against false positives per
 * case over every threshold), with the operating point's own test result beside it: how well the
 * network ranks lesions, whatever threshold is chosen.
 */
function frocSection(run: RunReport): HTMLElement {
  const names = run.plan?.classNames ?? [];
  const box = h('div', {});
  for (const [c, p] of Object.entries(run.operatingPoint ?? {})) {
    const froc = p.test?.froc;
    if (!froc) continue;
    const name = names[Number(c)] ?? `class ${c}`;
    const at = run.lesions.test?.[name];
    const chart = new LineChart(`${name} on test: lesions found against false-positive components per case, over every threshold (FROC)`, 'false positives per case', { fractionalX: true });
    const envelope = frocEnvelope(froc.curve, 8);
    const x = envelope.map((q) => q[0]);
    box.append(
      h(
        'table',
        { 'data-table': `froc-${c}`, title: 'a candidate is a 26-connected component of p >= t; it finds a lesion when their IoU is at least 0.1, and is a false positive when it finds none; CIs: bootstrap over test cases' },
        h('thead', {}, h('tr', {}, h('th', {}, `${name}: false positives per case`), ...froc.rates.map((r) => h('th', {}, String(r.falsePositivesPerCase))), h('th', {}, 'CPM (mean)'))),
        h(
          'tbody',
          {},
          h(
            'tr',
            {},
            h('td', {}, `lesions found [95 % CI] (${froc.lesions} lesions, ${froc.cases} cases)`),
            ...[...froc.rates, froc.cpm].map((r) => {
              const v = 'estimate' in r ? r.estimate : r.sensitivity;
              return h('td', { class: 'num' }, `${fmt(v)} [${fmt(r.ci[0])}, ${fmt(r.ci[1])}]`);
            }),
          ),
        ),
      ),
      at?.cases ? h('p', { class: 'muted' }, `At the operating point: ${at.lesionsFound} of ${at.lesions} lesions found with ${fmt(at.falsePositiveComponents / at.cases, 1)} false-positive components per case.`) : h('span'),
      chart.el,
    );
    chart.update(x, [
      { label: 'lesions found', values: envelope.map((q) => q[1]) },
      { label: `target (${p.target})`, values: x.map(() => p.target), dash: true },
    ]);
  }
  return box;
}

/** Per class: lesions found, missed and false-positive components pooled over the split's cases. */
function lesionTable(run: RunReport, split: string): HTMLElement {
  const totals = run.lesions[split];
  if (!totals || !Object.keys(totals).length) return h('span');
  return h(
    'table',
    { 'data-table': `lesions-${split}`, title: '26-connected components; a lesion is found when any of its voxels is predicted' },
    h('thead', {}, h('tr', {}, ...['class', 'lesions', 'found', 'missed', 'false-positive components', 'detection sensitivity', 'detection F1'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...Object.entries(totals).map(([cls, t]) =>
        h(
          'tr',
          {},
          h('td', {}, cls),
          ...[t.lesions, t.lesionsFound, t.lesionsMissed, t.falsePositiveComponents].map((v) => h('td', { class: 'num' }, v)),
          h('td', { class: 'num' }, fmt(t.detectionSensitivity)),
          h('td', { class: 'num' }, fmt(t.detectionF1)),
        ),
      ),
    ),
  );
}

function caseTable(run: RunReport, split: string): HTMLElement {
  const rows = run.cases.filter((c) => c.split === split);
  if (!rows.length) return h('span');
  return sortableTable<CaseRow>(
    [
      { label: 'patient', value: (c) => c.patientId, render: (c) => h('a', { href: `#/runs/${run.id}/cases/${encodeURIComponent(c.seriesInstanceUid)}` }, c.patientId) },
      { label: 'class', value: (c) => c.className },
      {
        label: 'view',
        value: () => null,
        // Agreement overlay of the slice where the class is largest (rendered by the server with sharp).
        render: (c) =>
          h(
            'a',
            { href: `#/runs/${run.id}/cases/${encodeURIComponent(c.seriesInstanceUid)}` },
            h('img', { class: 'thumb', loading: 'lazy', alt: `${c.patientId} ${c.className}`, src: `/api/runs/${run.id}/cases/${encodeURIComponent(c.seriesInstanceUid)}/thumbnail.png?cls=${c.classIndex}` }),
          ),
      },
      ...METRICS.map((m) => ({ label: m, value: (c: CaseRow) => c[m], numeric: true, digits: m === 'hd95' || m === 'assd' ? 2 : 3 })),
      { label: 'GT voxels', value: (c) => c.groundTruthVoxels, numeric: true, digits: 0 },
      { label: 'predicted', value: (c) => c.predictedVoxels, numeric: true, digits: 0 },
      { label: 'lesions found', value: (c) => c.lesionsFound, render: (c) => h('span', {}, `${c.lesionsFound}/${c.lesions}`) },
      { label: 'FP components', value: (c) => c.falsePositiveComponents, numeric: true, digits: 0 },
    ],
    rows,
    { 'data-table': `cases-${split}` },
  );
}

/**
 * A run's page, live while it trains: loss terms, fused loss, fusion weights and learning rate per
 * batch (appended from server-sent events), validation metrics per epoch, per-class and per-case
 * tables, config and preprocessing plan, and the run's actions.
 */
export async function runPage(root: HTMLElement, id: string): Promise<() => void> {
  let run = await api<RunReport>(`/runs/${id}`);
  let curves = await api<Curves>(`/runs/${id}/curves`);
  const header = h('div');
  const progress = h('div', { id: 'live', class: 'muted' });
  const charts = {
    loss: new LineChart('Loss per batch (fused and each term)', 'batch', { log: true, smoothing: true }),
    weights: new LineChart('Fusion weights per batch', 'batch', { smoothing: true }),
    classWeights: new LineChart('Per class: batch sensitivity and (loss, class) factors', 'batch', { smoothing: true }),
    lr: new LineChart('Learning rate', 'batch'),
    epochWeights: new LineChart('Fusion weights per epoch (mean)', 'epoch'),
    dice: new LineChart('Validation Dice per class', 'epoch'),
    sens: new LineChart('Validation sensitivity per class', 'epoch'),
    spec: new LineChart('Validation specificity per class', 'epoch'),
  };
  const tables = h('div');
  root.append(header, progress, h('div', { class: 'charts' }, ...Object.values(charts).map((c) => c.el)), tables);

  const drawBatches = () => {
    const b = curves.batches;
    const x = b.map((t) => t.step);
    // Each loss term keeps its colour on every chart; the fused loss is drawn in black.
    const of = (n: string) => colorFor(curves.lossNames, n);
    charts.loss.update(x, [{ label: 'fused', values: b.map((t) => t.loss), color: '#222' }, ...curves.lossNames.map((n, i): Series => ({ label: n, values: b.map((t) => t.terms[i]), dash: true, color: of(n) }))]);
    charts.weights.update(
      x,
      curves.lossNames.map((n, i) => ({ label: n, values: b.map((t) => t.weights[i]), color: of(n) })),
    );
    charts.lr.update(x, [{ label: 'learning rate', values: b.map((t) => t.learningRate) }]);
    // Foreground classes' batch sensitivity, and every (loss, class) factor that ever left 1.
    const classNames = run.plan?.classNames ?? [];
    const classes = Math.max(0, ...b.map((t) => t.sensitivity?.length ?? 0));
    const sensitivity = [...Array(classes).keys()].slice(1).map((c): Series => ({ label: `${classNames[c] ?? `class ${c}`} sensitivity`, values: b.map((t) => t.sensitivity?.[c] ?? null) }));
    const factors = curves.lossNames.flatMap((n, i) =>
      [...Array(classes).keys()]
        .filter((c) => b.some((t) => (t.classWeights?.[i]?.[c] ?? 1) !== 1))
        .map((c): Series => ({ label: `${n} × ${classNames[c] ?? `class ${c}`}`, values: b.map((t) => t.classWeights?.[i]?.[c] ?? null), dash: true, color: colorFor(curves.lossNames, n) })),
    );
    charts.classWeights.update(x, [...sensitivity, ...factors]);
  };
  const drawEpochs = () => {
    const e = run.epochs;
    // Epochs are shown from 1, as everywhere people read them; the API's indices are 0-based.
    const x = e.map((r) => r.epoch + 1);
    // An epoch between validations (validationInterval) has no metrics: the classes come from any epoch.
    const classes = [...new Set(e.flatMap((r) => Object.keys(r.valMetrics)))];
    const perClass = (m: string) => classes.map((c) => ({ label: c, values: e.map((r) => r.valMetrics[c]?.[m] ?? null) }));
    charts.dice.update(x, [...perClass('dice'), { label: 'mean (early stopping)', values: e.map((r) => r.valDice), dash: true }]);
    charts.sens.update(x, perClass('sensitivity'));
    charts.spec.update(x, perClass('specificity'));
    charts.epochWeights.update(
      x,
      curves.lossNames.map((n) => ({ label: n, values: e.map((r) => r.weights[n] ?? null), color: colorFor(curves.lossNames, n) })),
    );
  };
  const drawHeader = () => {
    clear(header);
    const active = run.status === 'running' || run.status === 'queued';
    const resumable = ['interrupted', 'cancelled', 'failed'].includes(run.status);
    const act = (label: string, fn: () => Promise<unknown>, cls = '') =>
      h(
        'button',
        {
          class: cls,
          'data-action': label.toLowerCase(),
          onclick: async () => {
            try {
              await fn();
              await refresh();
            } catch (err) {
              alert((err as Error).message);
            }
          },
        },
        label,
      );
    const tags = h('input', { value: run.tags.join(', '), id: 'tags', placeholder: 'tags, comma-separated' });
    const notes = h('textarea', { id: 'notes', rows: 2, cols: 60, placeholder: 'notes' }, run.notes ?? '');
    header.append(
      h('h1', {}, `Run ${run.name ?? run.id.slice(0, 8)} `, statusBadge(run.status)),
      h(
        'p',
        { class: 'muted' },
        `dataset ${run.dataset} · ${run.strategy} fusion · seed ${run.seed} · launched by ${run.owner ?? '–'} · epochs ${run.epochsDone}/${run.totalEpochs} · best validation Dice ${fmt(run.bestDice)} at epoch ${run.bestEpoch === null ? '–' : run.bestEpoch + 1} · ${duration(run.durationMs)} · backend ${String(run.backend?.choice ?? '–')} · worker ${run.worker ?? '–'}`,
      ),
      run.error ? h('div', { class: 'banner' }, run.error) : '',
      h(
        'div',
        { class: 'toolbar' },
        active ? act('Cancel', () => api(`/runs/${id}/cancel`, { method: 'POST' }), 'secondary') : null,
        resumable ? act('Resume', () => api(`/runs/${id}/resume`, { method: 'POST' })) : null,
        run.bestEpoch !== null ? h('a', { href: `/api/runs/${id}/export.zip`, 'data-action': 'export' }, h('button', { class: 'secondary' }, 'Download model (zip)')) : null,
        run.cases.length ? h('a', { href: `/api/runs/${id}/metrics.csv`, 'data-action': 'csv' }, h('button', { class: 'secondary' }, 'Metrics CSV')) : null,
        run.cases.length ? h('a', { href: `/api/runs/${id}/report.html`, 'data-action': 'report' }, h('button', { class: 'secondary' }, 'Report (HTML)')) : null,
        !active
          ? act(
              'Delete',
              async () => {
                if (!confirm(`Delete run ${run.name ?? run.id} with its checkpoints and predictions?`)) throw new Error('kept');
                await api(`/runs/${id}`, { method: 'DELETE' });
                location.hash = '#/runs';
              },
              'danger',
            )
          : null,
      ),
      h(
        'div',
        { class: 'toolbar' },
        tags,
        notes,
        act(
          'Save',
          () =>
            api(`/runs/${id}`, {
              method: 'PATCH',
              body: {
                tags: tags.value
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
                notes: notes.value || null,
              },
            }),
          'secondary',
        ),
      ),
    );
  };
  const drawTables = () => {
    clear(tables);
    tables.append(
      h('h2', {}, 'Test split, per class (mean ± std (median) over cases)'),
      classTable(run.cases, 'test'),
      h('h2', {}, 'Operating point'),
      operatingPointTable(run),
      tradeOffCharts(run),
      h('h2', {}, 'Test split, lesion-wise detection'),
      lesionTable(run, 'test'),
      frocSection(run),
      h('h2', {}, 'Test split, per case'),
      caseTable(run, 'test'),
      h('h2', {}, 'Validation split, per class'),
      classTable(run.cases, 'validation'),
      h('h2', {}, 'Validation split, lesion-wise detection'),
      lesionTable(run, 'validation'),
      h('h2', {}, 'Validation split, per case'),
      caseTable(run, 'validation'),
      h('h2', {}, 'Configuration'),
      h('pre', { id: 'config' }, JSON.stringify(run.config, null, 2)),
      h('h2', {}, 'Preprocessing plan and split'),
      h('pre', {}, JSON.stringify({ plan: run.plan, split: run.split }, null, 2)),
    );
  };
  const draw = () => {
    // A run that is no longer active has no live progress to show (not the last batch's ETA).
    if (run.status !== 'running' && run.status !== 'queued') progress.textContent = run.error ? `${run.status}: ${run.error}` : run.status;
    drawHeader();
    drawBatches();
    drawEpochs();
    drawTables();
  };
  const refresh = async () => {
    try {
      run = await api<RunReport>(`/runs/${id}`);
      curves = await api<Curves>(`/runs/${id}/curves`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return;
      throw err;
    }
    draw();
  };
  draw();
  // Events come from this server's worker thread; a run executed by a separate `segfusion worker` process
  // sends none here, so an active run whose events are silent is polled instead.
  let lastEvent = Date.now();
  const poll = setInterval(() => {
    if ((run.status === 'running' || run.status === 'queued') && Date.now() - lastEvent > 5000) void refresh();
  }, 5000);
  const unsubscribe = subscribe((type, e) => {
    lastEvent = Date.now();
    if (type === 'batch') {
      const names = curves.lossNames;
      curves.batches.push({
        step: e.step as number,
        epoch: e.epoch as number,
        learningRate: e.learningRate as number,
        loss: e.loss as number,
        terms: names.map((n) => (e.terms as Record<string, number>)[n]),
        weights: names.map((n) => (e.weights as Record<string, number>)[n]),
        ...(e.classWeights ? { classWeights: e.classWeights as number[][] } : {}),
        ...(e.sensitivity ? { sensitivity: e.sensitivity as (number | null)[] } : {}),
      });
      drawBatches();
      progress.textContent = `epoch ${(e.epoch as number) + 1}/${e.epochs as number}, batch ${(e.batch as number) + 1}/${e.batchesPerEpoch as number}, loss ${fmt(e.loss as number)}, ETA ${duration(e.etaMs as number)}`;
    } else if (type === 'evaluate') progress.textContent = `evaluating ${e.split as string}: case ${e.done as number}/${e.total as number}`;
    else if (type === 'preprocess') progress.textContent = `preprocessing case ${e.done as number}/${e.total as number}`;
    else if (type === 'status') {
      if (e.status !== 'running') progress.textContent = `${e.status as string}: ${e.message as string}`;
      void refresh();
    } else if (type === 'epoch' || type === 'job') void refresh();
  }, id);
  return () => {
    clearInterval(poll);
    unsubscribe();
  };
}
