import { pinchZoom, swipeSlice, touchDistance } from '../gestures.js';
import { api } from '../api.js';
import { clear, fmt, h } from '../dom.js';
import type { Plane } from '../../data/volumeSlices.js';
import { legendFor, renderSlice, type OverlayMode, type OverlayOptions, type SlicePixels } from '../../figures/overlay.js';
import type { CaseInfo, SliceData } from '../types.js';

const PRESETS: Record<string, [number, number]> = { 'CT abdomen': [400, 40], 'CT lung': [1500, -600], 'CT bone': [1800, 400], 'CT brain': [80, 40], 'full range': [0, 0] };
const MODES: [OverlayMode, string][] = [
  ['filled', 'filled truth, outlined prediction'],
  ['outline', 'outlines'],
  ['agreement', 'agreement (TP / FP / FN)'],
];

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
/** Keys go to a focused form control (a W field, the slider), not to slice navigation. */
const typing = (t: EventTarget | null) => t instanceof HTMLElement && (t.matches('input, select, textarea, button') || t.isContentEditable);

const PLANES: Plane[] = ['axial', 'coronal', 'sagittal'];
/** Longer side of the image on screen at zoom 1, in CSS pixels. */
const BASE_SIZE = 512;

type Shown = SlicePixels & { spacing: [number, number] };

/** The viewer's place in the URL: #/runs/RUN/cases/SERIES?k=SLICE&mode=MODE&plane=PLANE. */
function urlState(series: string): { series: string; k: number | null; mode: OverlayMode | null; plane: Plane } {
  const [uid, query = ''] = series.split('?');
  const q = new URLSearchParams(query);
  const k = q.has('k') ? Number(q.get('k')) : null;
  const mode = MODES.find(([m]) => m === q.get('mode'))?.[0] ?? null;
  const plane = PLANES.find((x) => x === q.get('plane')) ?? 'axial';
  return { series: uid, k: k !== null && Number.isInteger(k) ? k : null, mode, plane };
}

/**
 * Case viewer: slices of a case in any of the three planes at the true aspect ratio, with zoom (buttons,
 * Ctrl + wheel), pan (Shift-drag), window/level (presets, fields, drag, or the full range), a distance
 * measurement in mm,
 * overlays in three modes with per-class switches and a legend drawn from the same options
 * (src/web/overlay.ts), the value and labels under the cursor, navigation to the next or previous
 * slice holding a class, and the slice and mode kept in the URL. Slices are fetched once and cached,
 * neighbours prefetched; mouse wheel, arrow keys, PageUp/PageDown (10 slices) and Home/End move.
 */
export async function viewerPage(root: HTMLElement, runId: string, seriesParam: string): Promise<() => void> {
  const state = urlState(seriesParam);
  const series = state.series;
  const info = await api<CaseInfo>(`/runs/${runId}/cases/${encodeURIComponent(series)}`);
  type Located = { voxels: number; slices: [number, number]; centroid: [number, number, number] };
  const index = await api<{ truth: Record<string, number[]>; prediction: Record<string, number[]>; components: Record<string, { missed: Located[]; falsePositives: Located[] }> }>(`/runs/${runId}/cases/${encodeURIComponent(series)}/index`);
  const [nx, ny, nz] = info.size;
  const cache = new Map<string, Promise<Shown>>();
  const load = (k: number, onPlane: Plane = plane.value as Plane) => {
    const key = `${onPlane}:${k}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        api<SliceData>(`/runs/${runId}/cases/${encodeURIComponent(series)}/slices/${k}?plane=${onPlane}`).then((s) => {
          const bytes = decode(s.image);
          return { image: new Float32Array(bytes.buffer), label: s.label ? decode(s.label) : null, prediction: s.prediction ? decode(s.prediction) : null, width: s.width, height: s.height, spacing: s.spacing };
        }),
      );
    }
    return cache.get(key) as Promise<Shown>;
  };
  const counts: Record<Plane, number> = { axial: nz, coronal: ny, sagittal: nx };
  const position: Record<Plane, number> = { axial: Math.floor(nz / 2), coronal: Math.floor(ny / 2), sagittal: Math.floor(nx / 2) };
  position[state.plane] = Math.min(counts[state.plane] - 1, Math.max(0, state.k ?? position[state.plane]));
  const plane = h('select', { id: 'plane' }, ...PLANES.map((x) => h('option', { value: x }, x)));
  plane.value = state.plane;
  let zoom = 1;
  const zoomIn = h('button', { type: 'button', id: 'zoom-in', title: 'zoom in (Ctrl + wheel)' }, '+');
  const zoomOut = h('button', { type: 'button', id: 'zoom-out', title: 'zoom out (Ctrl + wheel)' }, '−');
  const measure = h('input', { type: 'checkbox', id: 'measure' });
  const measured = h('span', { id: 'measure-result', class: 'muted' });
  let points: [number, number][] = [];
  const classes = info.classNames.map((_, c) => c).filter((c) => c > 0);
  const canvas = h('canvas', { width: nx, height: ny, id: 'slice' });
  // The frame scrolls when zoomed in: Shift-drag (or the scroll bars) pans, a plain drag sets window/level.
  const frame = h('div', { class: 'viewer-frame', id: 'viewer-frame' }, canvas);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const slider = h('input', { type: 'range', min: 0, max: counts[state.plane] - 1, value: position[state.plane], id: 'slice-slider' });
  const sliceLabel = h('span', { id: 'slice-label' });
  const preset = h('select', { id: 'preset' }, ...Object.keys(PRESETS).map((p) => h('option', { value: p }, p)), h('option', { value: 'custom' }, 'custom'));
  const width = h('input', { type: 'number', id: 'ww', value: 400, style: 'width:6rem' });
  const level = h('input', { type: 'number', id: 'wl', value: 40, style: 'width:6rem' });
  const comparable = info.hasLabel && info.hasPrediction;
  const mode = h('select', { id: 'overlay-mode' }, ...MODES.map(([m, text]) => h('option', { value: m, disabled: m === 'agreement' && !comparable }, text)));
  mode.value = state.mode && (state.mode !== 'agreement' || comparable) ? state.mode : 'filled';
  const showGt = h('input', { type: 'checkbox', id: 'show-gt', checked: info.hasLabel, disabled: !info.hasLabel });
  const showPred = h('input', { type: 'checkbox', id: 'show-pred', checked: info.hasPrediction, disabled: !info.hasPrediction });
  const classBoxes = classes.map((c) => h('input', { type: 'checkbox', id: `show-class-${c}`, 'data-class': c, checked: true }));
  const opacity = h('input', { type: 'range', id: 'opacity', min: 0, max: 1, step: 0.05, value: 0.45 });
  const legend = h('div', { class: 'legend muted', id: 'legend' });
  const cursor = h('div', { class: 'muted', id: 'cursor' }, 'move over the image for values');
  // Targets: slices holding a class, or the centre slices of its missed lesions / false positives.
  const navClass = h(
    'select',
    { id: 'nav-class' },
    ...classes.map((c) => h('option', { value: c }, info.classNames[c])),
    ...classes.flatMap((c) => {
      const comp = index.components[String(c)];
      return comp
        ? [
            h('option', { value: `missed:${c}`, disabled: !comp.missed.length }, `missed ${info.classNames[c]} (${comp.missed.length})`),
            h('option', { value: `fp:${c}`, disabled: !comp.falsePositives.length }, `false-positive ${info.classNames[c]} (${comp.falsePositives.length})`),
          ]
        : [];
    }),
  );
  const prevButton = h('button', { type: 'button', id: 'prev-class', title: 'previous slice with this class (truth or prediction)' }, '◀');
  const nextButton = h('button', { type: 'button', id: 'next-class', title: 'next slice with this class (truth or prediction)' }, '▶');
  const metrics = h(
    'table',
    { id: 'case-metrics' },
    h('thead', {}, h('tr', {}, ...['split', 'class', 'Dice', 'sensitivity', 'specificity', 'precision', 'HD95', 'ASSD'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...info.metrics.map((m) => h('tr', {}, h('td', {}, m.split), h('td', {}, m.className), ...[m.dice, m.sensitivity, m.specificity, m.precision, m.hd95, m.assd].map((v) => h('td', { class: 'num' }, fmt(v)))))),
  );
  let current = Number(slider.value);
  let shown: Shown | null = null;

  const options = (): OverlayOptions => ({
    mode: mode.value as OverlayMode,
    window: [Number(level.value), Number(width.value)],
    classes: new Set(classBoxes.filter((b) => b.checked).map((b) => Number(b.dataset.class))),
    truth: showGt.checked,
    prediction: showPred.checked,
    opacity: Number(opacity.value),
  });
  const drawLegend = (o: OverlayOptions) => {
    clear(legend);
    for (const e of legendFor(o, info.classNames)) {
      const swatch = e.style === 'fill' ? `background:rgb(${e.color.join(',')})` : `border:2px solid rgb(${e.color.join(',')})`;
      legend.append(h('span', { style: swatch, 'data-style': e.style }), e.text);
    }
    showGt.disabled = !info.hasLabel || o.mode === 'agreement';
    showPred.disabled = !info.hasPrediction || o.mode === 'agreement';
  };
  const draw = async () => {
    const k = current;
    const onPlane = plane.value as Plane;
    const s = await load(k, onPlane);
    if (k !== current || onPlane !== plane.value) return;
    if (preset.value === 'full range' || Number(width.value) <= 0) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < s.image.length; p++) {
        lo = Math.min(lo, s.image[p]);
        hi = Math.max(hi, s.image[p]);
      }
      width.value = String(Math.max(1, Math.round(hi - lo)));
      level.value = String(Math.round((hi + lo) / 2));
    }
    const o = options();
    if (canvas.width !== s.width || canvas.height !== s.height) {
      canvas.width = s.width;
      canvas.height = s.height;
    }
    // True aspect ratio: each pixel drawn as its spacing in millimetres, scaled to the frame and the zoom.
    const mm = [s.width * s.spacing[0], s.height * s.spacing[1]];
    const fit = (Math.min(BASE_SIZE, root.clientWidth || BASE_SIZE) / Math.max(mm[0], mm[1])) * zoom;
    canvas.style.width = `${Math.round(mm[0] * fit)}px`;
    canvas.style.height = `${Math.round(mm[1] * fit)}px`;
    const img = ctx.createImageData(s.width, s.height);
    img.data.set(renderSlice(s, o));
    ctx.putImageData(img, 0, 0);
    if (points.length) {
      ctx.strokeStyle = '#ffff00';
      ctx.fillStyle = '#ffff00';
      ctx.lineWidth = Math.max(1, s.width / 256);
      ctx.beginPath();
      ctx.moveTo(points[0][0] + 0.5, points[0][1] + 0.5);
      for (const [x, y] of points) ctx.lineTo(x + 0.5, y + 0.5);
      ctx.stroke();
    }
    drawLegend(o);
    shown = s;
    sliceLabel.textContent = `${onPlane} ${k + 1} / ${counts[onPlane]}`;
    canvas.dataset.slice = String(k);
    canvas.dataset.mode = o.mode;
    canvas.dataset.plane = onPlane;
    prevButton.disabled = nextButton.disabled = onPlane !== 'axial';
    history.replaceState(null, '', `#/runs/${runId}/cases/${encodeURIComponent(series)}?k=${k}&mode=${o.mode}${onPlane === 'axial' ? '' : `&plane=${onPlane}`}`);
    for (const n of [k - 1, k + 1, k + 2]) if (n >= 0 && n < counts[onPlane]) void load(n, onPlane);
  };
  const go = (k: number) => {
    const onPlane = plane.value as Plane;
    current = Math.max(0, Math.min(counts[onPlane] - 1, k));
    position[onPlane] = current;
    slider.value = String(current);
    points = [];
    measured.textContent = '';
    void draw();
  };
  plane.addEventListener('change', () => {
    slider.max = String(counts[plane.value as Plane] - 1);
    go(position[plane.value as Plane]);
  });
  const setZoom = (z: number) => {
    zoom = Math.max(0.5, Math.min(8, z));
    canvas.dataset.zoom = String(zoom);
    void draw();
  };
  zoomIn.addEventListener('click', () => setZoom(zoom * 1.5));
  zoomOut.addEventListener('click', () => setZoom(zoom / 1.5));
  /** Canvas pixel under a mouse event, or null outside the image. */
  const pixelAt = (e: MouseEvent): [number, number] | null => {
    const r = canvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * canvas.width);
    const y = Math.floor(((e.clientY - r.top) / r.height) * canvas.height);
    return x < 0 || y < 0 || x >= canvas.width || y >= canvas.height ? null : [x, y];
  };
  let drag: { x: number; y: number; w: number; l: number; left: number; top: number; pan: boolean; moved: boolean } | null = null;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, y: e.clientY, w: Number(width.value), l: Number(level.value), left: frame.scrollLeft, top: frame.scrollTop, pan: e.shiftKey, moved: false };
  });
  document.addEventListener('mouseup', () => (drag = null));
  canvas.addEventListener('click', (e) => {
    if (!measure.checked || !shown) return;
    const p = pixelAt(e);
    if (!p) return;
    points = points.length >= 2 ? [p] : [...points, p];
    if (points.length === 2) {
      const [dx, dy] = [(points[1][0] - points[0][0]) * shown.spacing[0], (points[1][1] - points[0][1]) * shown.spacing[1]];
      measured.textContent = `distance ${fmt(Math.hypot(dx, dy), 1)} mm`;
    } else measured.textContent = 'click the second point';
    void draw();
  });
  /** The nearest slice after (dir 1) or before (dir -1) the current one holding the chosen class. */
  const jump = (dir: 1 | -1) => {
    const [kind, cls] = navClass.value.includes(':') ? navClass.value.split(':') : ['class', navClass.value];
    const comp = index.components[cls];
    const located = kind === 'missed' ? comp?.missed : kind === 'fp' ? comp?.falsePositives : null;
    const ks = located ? [...new Set(located.map((l) => l.centroid[2]))].sort((a, b) => a - b) : [...new Set([...(index.truth[cls] ?? []), ...(index.prediction[cls] ?? [])])].sort((a, b) => a - b);
    const target = dir > 0 ? ks.find((k) => k > current) : ks.reverse().find((k) => k < current);
    if (target !== undefined) go(target);
  };
  prevButton.addEventListener('click', () => jump(-1));
  nextButton.addEventListener('click', () => jump(1));
  slider.addEventListener('input', () => go(Number(slider.value)));
  preset.addEventListener('change', () => {
    const [w, l] = PRESETS[preset.value] ?? [0, 0];
    if (w > 0) {
      width.value = String(w);
      level.value = String(l);
    }
    void draw();
  });
  // Typed values are a custom window: "full range" must not overwrite them at the next draw.
  for (const el of [width, level])
    el.addEventListener('input', () => {
      preset.value = 'custom';
      void draw();
    });
  for (const el of [mode, showGt, showPred, opacity, ...classBoxes]) el.addEventListener('input', () => void draw());
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.ctrlKey) setZoom(zoom * (e.deltaY < 0 ? 1.25 : 0.8));
    else go(current + Math.sign(e.deltaY));
  });
  // Touch: one finger swiping vertically moves through slices, two fingers pinching zoom (gestures.ts).
  let touch: { y: number; k: number; distance: number; zoom: number } | null = null;
  const startTouch = (e: TouchEvent) => {
    const pinch = e.touches.length >= 2;
    touch = { y: e.touches[0].clientY, k: current, distance: pinch ? touchDistance(e.touches[0], e.touches[1]) : 0, zoom };
  };
  canvas.addEventListener('touchstart', startTouch, { passive: true });
  canvas.addEventListener(
    'touchmove',
    (e) => {
      if (!touch) return;
      e.preventDefault();
      if (e.touches.length >= 2) {
        // A second finger that lands mid-swipe turns the gesture into a pinch from there.
        if (touch.distance === 0) startTouch(e);
        else setZoom(pinchZoom(touch.zoom, touch.distance, touchDistance(e.touches[0], e.touches[1])));
        return;
      }
      if (touch.distance > 0) return;
      const k = swipeSlice(touch.k, touch.y, e.touches[0].clientY);
      if (k !== current) go(k);
    },
    { passive: false },
  );
  canvas.addEventListener('touchend', (e) => (touch = e.touches.length ? touch : null));
  canvas.addEventListener('mousemove', (e) => {
    if (drag && !measure.checked && (e.buttons & 1) === 1) {
      const [dx, dy] = [e.clientX - drag.x, e.clientY - drag.y];
      if (drag.pan) {
        frame.scrollLeft = drag.left - dx;
        frame.scrollTop = drag.top - dy;
      } else if (Math.abs(dx) + Math.abs(dy) > 2) {
        // Right widens the window, down raises the level: 2 units per pixel, as in most PACS viewers.
        width.value = String(Math.max(1, Math.round(drag.w + 2 * dx)));
        level.value = String(Math.round(drag.l + 2 * dy));
        preset.value = 'custom';
        void draw();
      }
    }
    if (!shown) return;
    const at = pixelAt(e);
    if (!at) return;
    const [x, y] = at;
    const p = y * shown.width + x;
    const name = (v: number | undefined) => (v === undefined ? 'none' : (info.classNames[v] ?? `class ${v}`));
    cursor.textContent = `x ${x}, y ${y}: ${fmt(shown.image[p], 1)}${info.modality === 'CT' ? ' HU' : ''}; truth ${name(shown.label?.[p])}; prediction ${name(shown.prediction?.[p])}`;
  });
  const onKey = (e: KeyboardEvent) => {
    if (typing(e.target)) return;
    const step: Record<string, number> = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
    if (e.key in step) go(current + step[e.key]);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(nz - 1);
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
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
      h('label', {}, 'overlay ', mode),
      h('label', {}, showGt, ' truth'),
      h('label', {}, showPred, ' prediction'),
      ...classes.map((c, i) => h('label', {}, classBoxes[i], ` ${info.classNames[c]}`)),
      h('label', {}, 'opacity ', opacity),
      h('label', {}, 'go to ', navClass),
      prevButton,
      nextButton,
      h('label', {}, 'plane ', plane),
      zoomOut,
      zoomIn,
      h('label', { title: 'click two points on the image' }, measure, ' measure'),
      measured,
    ),
    legend,
    h('div', { class: 'viewer' }, frame, metrics),
    cursor,
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
