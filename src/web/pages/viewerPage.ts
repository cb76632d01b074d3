import { api } from '../api.js';
import { fmt, h } from '../dom.js';
import type { CaseInfo, SliceData } from '../types.js';

const PRESETS: Record<string, [number, number]> = { 'CT abdomen': [400, 40], 'CT lung': [1500, -600], 'CT bone': [1800, 400], 'CT brain': [80, 40], 'full range': [0, 0] };
/** Overlay colours per class: ground truth in greens/blues, prediction in reds/oranges. */
const GT = [
  [0, 0, 0],
  [46, 204, 113],
  [52, 152, 219],
  [155, 89, 182],
];
const PRED = [
  [0, 0, 0],
  [231, 76, 60],
  [243, 156, 18],
  [241, 196, 15],
];

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

interface Decoded {
  image: Float32Array;
  label: Uint8Array | null;
  prediction: Uint8Array | null;
  width: number;
  height: number;
}

/**
 * Case viewer: slices of a case on a canvas with window/level (presets or free), ground truth and
 * prediction outlines-free overlays in distinct colours with adjustable opacity, and the case's metrics.
 * Slices are fetched once and cached, neighbours prefetched; mouse wheel and arrow keys scroll.
 */
export async function viewerPage(root: HTMLElement, runId: string, series: string): Promise<() => void> {
  const info = await api<CaseInfo>(`/runs/${runId}/cases/${encodeURIComponent(series)}`);
  const [nx, ny, nz] = info.size;
  const cache = new Map<number, Promise<Decoded>>();
  const load = (k: number) => {
    if (!cache.has(k)) {
      cache.set(
        k,
        api<SliceData>(`/runs/${runId}/cases/${encodeURIComponent(series)}/slices/${k}`).then((s) => {
          const bytes = decode(s.image);
          return { image: new Float32Array(bytes.buffer), label: s.label ? decode(s.label) : null, prediction: s.prediction ? decode(s.prediction) : null, width: s.width, height: s.height };
        }),
      );
    }
    return cache.get(k) as Promise<Decoded>;
  };
  const canvas = h('canvas', { width: nx, height: ny, id: 'slice' });
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const slider = h('input', { type: 'range', min: 0, max: nz - 1, value: Math.floor(nz / 2), id: 'slice-slider' });
  const sliceLabel = h('span', { id: 'slice-label' });
  const preset = h('select', { id: 'preset' }, ...Object.keys(PRESETS).map((p) => h('option', { value: p }, p)));
  const width = h('input', { type: 'number', id: 'ww', value: 400, style: 'width:6rem' });
  const level = h('input', { type: 'number', id: 'wl', value: 40, style: 'width:6rem' });
  const showGt = h('input', { type: 'checkbox', id: 'show-gt', checked: info.hasLabel });
  const showPred = h('input', { type: 'checkbox', id: 'show-pred', checked: info.hasPrediction });
  const opacity = h('input', { type: 'range', id: 'opacity', min: 0, max: 1, step: 0.05, value: 0.45 });
  let current = Number(slider.value);

  const draw = async () => {
    const k = current;
    const s = await load(k);
    if (k !== current) return;
    let ww = Number(width.value);
    let wl = Number(level.value);
    if (preset.value === 'full range' || ww <= 0) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of s.image) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      ww = Math.max(1, hi - lo);
      wl = (hi + lo) / 2;
    }
    const img = ctx.createImageData(s.width, s.height);
    const a = Number(opacity.value);
    for (let p = 0; p < s.width * s.height; p++) {
      const g = Math.max(0, Math.min(255, ((s.image[p] - (wl - ww / 2)) / ww) * 255));
      let rgb = [g, g, g];
      const blend = (c: number[]) => (rgb = rgb.map((v, i) => v * (1 - a) + c[i] * a));
      if (showGt.checked && s.label?.[p]) blend(GT[s.label[p] % GT.length]);
      if (showPred.checked && s.prediction?.[p]) blend(PRED[s.prediction[p] % PRED.length]);
      img.data.set([rgb[0], rgb[1], rgb[2], 255], p * 4);
    }
    ctx.putImageData(img, 0, 0);
    sliceLabel.textContent = `slice ${k + 1} / ${nz}`;
    canvas.dataset.slice = String(k);
    for (const n of [k - 1, k + 1, k + 2]) if (n >= 0 && n < nz) void load(n);
  };
  const go = (k: number) => {
    current = Math.max(0, Math.min(nz - 1, k));
    slider.value = String(current);
    void draw();
  };
  slider.addEventListener('input', () => go(Number(slider.value)));
  preset.addEventListener('change', () => {
    const [w, l] = PRESETS[preset.value];
    if (w > 0) {
      width.value = String(w);
      level.value = String(l);
    }
    void draw();
  });
  for (const el of [width, level, showGt, showPred, opacity]) el.addEventListener('input', () => void draw());
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    go(current + Math.sign(e.deltaY));
  });
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowUp' || e.key === 'ArrowRight') go(current + 1);
    if (e.key === 'ArrowDown' || e.key === 'ArrowLeft') go(current - 1);
  };
  document.addEventListener('keydown', onKey);
  const metrics = h(
    'table',
    { id: 'case-metrics' },
    h('thead', {}, h('tr', {}, ...['split', 'class', 'Dice', 'sensitivity', 'specificity', 'precision', 'HD95', 'ASSD'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...info.metrics.map((m) => h('tr', {}, h('td', {}, m.split), h('td', {}, m.className), ...[m.dice, m.sensitivity, m.specificity, m.precision, m.hd95, m.assd].map((v) => h('td', { class: 'num' }, fmt(v)))))),
  );
  root.append(
    h('h1', {}, `Case ${info.patientId} `, h('a', { href: `#/runs/${runId}`, class: 'muted' }, `run ${runId.slice(0, 8)}`)),
    h('p', { class: 'muted' }, `${info.modality}, ${nx} x ${ny} x ${nz} voxels, ${info.spacing.map((v) => fmt(v, 2)).join(' x ')} mm`),
    h(
      'div',
      { class: 'toolbar' },
      slider,
      sliceLabel,
      h('label', {}, 'window ', preset),
      h('label', {}, 'W ', width),
      h('label', {}, 'L ', level),
      h('label', {}, showGt, ' ground truth'),
      h('label', {}, showPred, ' prediction'),
      h('label', {}, 'opacity ', opacity),
    ),
    h(
      'div',
      { class: 'legend muted' },
      ...info.classNames
        .slice(1)
        .flatMap((c, i) => [h('span', { style: `background:rgb(${GT[(i + 1) % GT.length].join(',')})` }), `${c} (truth)`, h('span', { style: `background:rgb(${PRED[(i + 1) % PRED.length].join(',')})` }), `${c} (prediction)`]),
    ),
    h('div', { class: 'viewer' }, canvas, metrics),
    await pushControls(runId, series, info.hasPrediction),
  );
  await draw();
  return () => document.removeEventListener('keydown', onKey);
}

/** "Send SEG to PACS": offered when the server has configured DICOMweb servers and the case has a prediction. */
async function pushControls(runId: string, series: string, hasPrediction: boolean): Promise<HTMLElement> {
  const { servers } = await api<{ servers: { name: string; address: string }[] }>('/pacs');
  if (!servers.length || !hasPrediction) return h('span');
  const select = h('select', { id: 'push-server' }, ...servers.map((s) => h('option', { value: s.name }, `${s.name} (${s.address})`)));
  const status = h('span', { id: 'push-status', class: 'muted' });
  const button = h('button', { type: 'button', id: 'push-seg' }, 'Send SEG to PACS');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'sending...';
    try {
      const r = await api<{ server: string; bytes: number }>(`/runs/${runId}/cases/${encodeURIComponent(series)}/push`, { method: 'POST', body: { server: select.value } });
      status.textContent = `stored on ${r.server} (${Math.round(r.bytes / 1024)} kB)`;
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'toolbar' }, h('label', {}, 'PACS ', select), button, status);
}
