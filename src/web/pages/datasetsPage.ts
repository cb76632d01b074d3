import { api, ApiError, subscribe } from '../api.js';
import { fmt, h, sortableTable } from '../dom.js';
import type { DatasetDetail } from '../types.js';

type Summary = { name: string; patients: number; series: number; createdAt: string };

/** Datasets list with a form to ingest a server-side folder, showing the job's progress live. */
export async function datasetsPage(root: HTMLElement): Promise<() => void> {
  const { items } = await api<{ items: Summary[] }>('/datasets?limit=500');
  const { servers } = await api<{ servers: { name: string; address: string }[] }>('/pacs');
  const status = h('div', { id: 'ingest-status', class: 'muted' });
  const bar = h('div', { class: 'progress' }, h('div', { style: 'width:0%' }));
  const form = h(
    'form',
    { class: 'grid', id: 'ingest' },
    h('label', { for: 'ingest-dataset' }, 'Dataset name'),
    h('input', { id: 'ingest-dataset', name: 'dataset', required: true }),
    h('label', { for: 'ingest-path' }, 'DICOM folder (on the server)'),
    h('input', { id: 'ingest-path', name: 'path', required: true, placeholder: 'datasets/my-study/dicom' }),
    h('label', { for: 'ingest-labels' }, 'Labels folder (optional)'),
    h('input', { id: 'ingest-labels', name: 'labels' }),
    h('span'),
    h('button', { type: 'submit' }, 'Ingest'),
  );
  let jobId: string | null = null;
  // Series pulled from a configured PACS over DICOMweb (a study UID, or a QIDO query over series).
  const pacs = h(
    'form',
    { class: 'grid', id: 'pacs-ingest' },
    h('label', { for: 'pacs-dataset' }, 'Dataset name'),
    h('input', { id: 'pacs-dataset', name: 'dataset', required: true }),
    h('label', { for: 'pacs-server' }, 'PACS'),
    h('select', { id: 'pacs-server', name: 'server' }, ...servers.map((s) => h('option', { value: s.name }, `${s.name} (${s.address})`))),
    h('label', { for: 'pacs-study' }, 'StudyInstanceUID'),
    h('input', { id: 'pacs-study', name: 'study', placeholder: '1.2.840...' }),
    h('label', { for: 'pacs-query' }, 'or a series query'),
    h('input', { id: 'pacs-query', name: 'query', placeholder: 'Modality=CT&StudyDate=20240101-20241231' }),
    h('span'),
    h('button', { type: 'submit' }, 'Pull and ingest'),
  );
  pacs.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(pacs);
    const pick = (k: string) => (data.get(k) ? { [k]: data.get(k) } : {});
    try {
      const r = await api<{ jobId: string }>('/datasets/ingest-pacs', { method: 'POST', body: { dataset: data.get('dataset'), server: data.get('server'), ...pick('study'), ...pick('query') } });
      jobId = r.jobId;
      status.textContent = 'queued';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  });
  // A synthetic cohort written and ingested by the server: the easy demo, or the hard one with 1-3-voxel lesions.
  const demo = h(
    'form',
    { class: 'grid', id: 'demo' },
    h('label', { for: 'demo-difficulty' }, 'Difficulty'),
    h('select', { id: 'demo-difficulty', name: 'difficulty' }, h('option', { value: 'hard' }, 'hard: lesions 3-7 mm, 18 HU darker, 15 HU noise'), h('option', { value: 'easy' }, 'easy: the demo, lesions 3.5-6 mm, 70 HU')),
    h('label', { for: 'demo-seed' }, 'Seed (optional)'),
    h('input', { id: 'demo-seed', name: 'seed', type: 'number', min: '0' }),
    h('label', { for: 'demo-patients' }, 'Patients (optional)'),
    h('input', { id: 'demo-patients', name: 'patients', type: 'number', min: '3', max: '200' }),
    h('span'),
    h('button', { type: 'submit' }, 'Create and ingest'),
  );
  demo.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(demo);
    const num = (k: string) => (data.get(k) ? { [k]: Number(data.get(k)) } : {});
    try {
      const r = await api<{ jobId: string }>('/datasets/demo', { method: 'POST', body: { difficulty: data.get('difficulty'), ...num('seed'), ...num('patients') } });
      jobId = r.jobId;
      status.textContent = 'queued';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    try {
      const r = await api<{ jobId: string }>('/datasets/ingest', { method: 'POST', body: { dataset: data.get('dataset'), path: data.get('path'), ...(data.get('labels') ? { labels: data.get('labels') } : {}) } });
      jobId = r.jobId;
      status.textContent = 'queued';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  });
  const unsubscribe = subscribe((type, e) => {
    if (e.jobId !== jobId) return;
    if (type === 'ingest') {
      status.textContent = `${e.phase as string}: ${e.done as number}/${e.total as number}`;
      (bar.firstChild as HTMLElement).style.width = `${(100 * (e.done as number)) / Math.max(1, e.total as number)}%`;
    } else if (type === 'job' && e.status !== 'running') {
      status.textContent = `ingest ${e.status as string}`;
      if (e.status === 'completed') location.reload();
    }
  });
  root.append(
    h('h1', {}, 'Datasets'),
    sortableTable<Summary>(
      [
        { label: 'dataset', value: (d) => d.name, render: (d) => h('a', { href: `#/datasets/${encodeURIComponent(d.name)}` }, d.name) },
        { label: 'patients', value: (d) => d.patients, numeric: true, digits: 0 },
        { label: 'series', value: (d) => d.series, numeric: true, digits: 0 },
        { label: 'created', value: (d) => d.createdAt, render: (d) => new Date(d.createdAt).toLocaleString() },
      ],
      items,
      { id: 'datasets' },
    ),
    h('h2', {}, 'Ingest a folder'),
    form,
    ...(servers.length ? [h('h2', {}, 'Ingest from a PACS (DICOMweb)'), pacs] : []),
    h('h2', {}, 'Create a synthetic cohort'),
    demo,
    bar,
    status,
  );
  return unsubscribe;
}

/** One dataset: series geometry, class map with voxel counts and sizes per case, the preset "auto" picks, warnings and rejected files. */
export async function datasetPage(root: HTMLElement, name: string): Promise<() => void> {
  const d = await api<DatasetDetail>(`/datasets/${encodeURIComponent(name)}`);
  type S = DatasetDetail['series'][number];
  const size = (v: string) => d.classSizes.find((c) => c.value === v);
  const list = h('div');
  root.append(
    h('h1', {}, `Dataset ${d.name}`),
    h('p', { class: 'muted' }, `${d.patients} patient(s), ${d.series.length} series, ${d.series.filter((s) => s.label).length} labelled`),
    h('h2', {}, 'Classes'),
    h(
      'table',
      { id: 'classes' },
      h('thead', {}, h('tr', {}, h('th', {}, 'value'), h('th', {}, 'class'), h('th', {}, 'voxels'), h('th', {}, 'cases with it'), h('th', {}, 'median voxels per case'))),
      h(
        'tbody',
        {},
        ...Object.entries(d.classMap).map(([v, c]) =>
          h('tr', {}, h('td', {}, v), h('td', {}, c), h('td', { class: 'num' }, d.classVoxels[v] ?? 0), h('td', { class: 'num' }, size(v)?.cases ?? ''), h('td', { class: 'num' }, size(v)?.medianVoxels ?? '')),
        ),
      ),
    ),
    h('p', { id: 'auto-preset', class: 'muted' }, `Preset "auto" for a run on this dataset: ${d.preset.preset ?? 'none'}, as ${d.preset.reason}.`),
    h('h2', {}, 'Series'),
    sortableTable<S>(
      [
        { label: 'patient', value: (s) => s.patientId },
        { label: 'modality', value: (s) => s.modality },
        { label: 'voxels', value: (s) => s.geometry.size.join(' x ') },
        { label: 'spacing (mm)', value: (s) => s.geometry.spacing.map((v) => fmt(v, 2)).join(' x ') },
        { label: 'intensity', value: (s) => `${s.intensityRange[0]} .. ${s.intensityRange[1]}` },
        { label: 'label', value: (s) => (s.label ? s.label.kind : 'none') },
        { label: 'warnings', value: (s) => s.warnings.join('; ') || '–' },
      ],
      d.series,
      { id: 'series' },
    ),
    list,
  );
  if (d.lastIngest) {
    list.append(
      h('h2', {}, `Last ingest (${new Date(d.lastIngest.startedAt).toLocaleString()}, ${d.lastIngest.status})`),
      d.lastIngest.errors.length ? h('h3', {}, `Rejected files (${d.lastIngest.errors.length})`) : h('p', { class: 'muted' }, 'No rejected files.'),
      h('ul', { id: 'rejected' }, ...d.lastIngest.errors.map((e) => h('li', {}, h('code', {}, e.path), `: ${e.reason}`))),
      d.lastIngest.warnings.length ? h('h3', {}, `Warnings (${d.lastIngest.warnings.length})`) : '',
      h('ul', {}, ...d.lastIngest.warnings.map((w) => h('li', {}, w.reason))),
    );
  }
  return () => undefined;
}
