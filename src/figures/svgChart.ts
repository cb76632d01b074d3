/** Helpers of the self-contained HTML reports (study and run): escaping, numbers, SVG line charts. */

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
export const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '–' : v.toFixed(d));
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/**
 * One SVG line chart: one line per series, a legend; no script, no external reference. x is a 0-based
 * epoch by default (labelled from 1); `x` names another axis, e.g. a threshold labelled as it is.
 */
export function lineChart(title: string, series: { name: string; points: [number, number][] }[], x: { label: string; shift: number; decimals: number } = { label: 'epoch', shift: 1, decimals: 0 }): string {
  const W = 420;
  const H = 220;
  const pad = { l: 40, r: 10, t: 24, b: 30 };
  const all = series.flatMap((s) => s.points);
  if (!all.length) return '';
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])) || 1];
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (W - pad.l - pad.r);
  const sy = (y: number) => H - pad.b - ((y - y0) / (y1 - y0 || 1)) * (H - pad.t - pad.b);
  const lines = series.map((s, i) => `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
  const legend = series.map((s, i) => `<tspan fill="${COLOURS[i % COLOURS.length]}">■ ${esc(s.name)} </tspan>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#999"/>
<text x="${pad.l - 4}" y="${sy(y1) + 4}" font-size="10" text-anchor="end">${num(y1, 2)}</text><text x="${pad.l - 4}" y="${sy(y0) + 4}" font-size="10" text-anchor="end">${num(y0, 2)}</text>
<text x="${sx(x0)}" y="${H - pad.b + 14}" font-size="10">${num(x0 + x.shift, x.decimals)}</text><text x="${sx(x1)}" y="${H - pad.b + 14}" font-size="10" text-anchor="end">${esc(x.label)} ${num(x1 + x.shift, x.decimals)}</text>
${lines.join('\n')}
<text x="${pad.l}" y="${H - 4}" font-size="10">${legend}</text></svg>`;
}

/**
 * A paired scatter plot: one point per case (x from one run, y from another) over the identity line, so
 * points above it are cases the second run does better on. Axes span [0, 1] (Dice-like metrics).
 */
export function pairedScatter(title: string, xLabel: string, yLabel: string, points: { x: number; y: number; name: string }[]): string {
  const S = 300;
  const pad = 40;
  const at = (v: number) => pad + Math.max(0, Math.min(1, v)) * (S - 2 * pad);
  const above = points.filter((p) => p.y > p.x).length;
  const dots = points.map(
    (p) => `<circle cx="${at(p.x).toFixed(1)}" cy="${(S - at(p.y)).toFixed(1)}" r="4" fill="${p.y > p.x ? '#2ca02c' : p.y < p.x ? '#d62728' : '#777'}" fill-opacity="0.75"><title>${esc(p.name)}: ${num(p.x)} vs ${num(p.y)}</title></circle>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S + 16}" role="img" aria-label="${esc(title)}" data-points="${points.length}">
<text x="${pad}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>
<rect x="${pad}" y="${pad}" width="${S - 2 * pad}" height="${S - 2 * pad}" fill="none" stroke="#999"/>
<line x1="${at(0)}" y1="${S - at(0)}" x2="${at(1)}" y2="${S - at(1)}" stroke="#bbb" stroke-dasharray="4 3"/>
<text x="${pad}" y="${S - pad + 14}" font-size="10">0</text><text x="${S - pad}" y="${S - pad + 14}" font-size="10" text-anchor="end">1</text>
<text x="${S / 2}" y="${S - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="12" y="${S / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${S / 2})">${esc(yLabel)}</text>
${dots.join('\n')}
<text x="${pad}" y="${S + 12}" font-size="10">${above} of ${points.length} case(s) above the line (better in ${esc(yLabel)})</text></svg>`;
}

/**
 * Parallel coordinates: one vertical axis per numeric setting and a last one for the metric, one line
 * per run, coloured by the metric (red low, green high), so settings that go with a good metric show.
 */
export function parallelCoordinates(title: string, axes: string[], runs: { name: string; values: (number | null)[] }[]): string {
  const W = Math.max(360, 110 * axes.length);
  const H = 260;
  const pad = { l: 50, r: 50, t: 34, b: 40 };
  const x = (i: number) => pad.l + (axes.length === 1 ? 0 : (i / (axes.length - 1)) * (W - pad.l - pad.r));
  const ranges = axes.map((_, i) => {
    const vs = runs.map((r) => r.values[i]).filter((v): v is number => v !== null);
    return [Math.min(...vs), Math.max(...vs)];
  });
  const y = (i: number, v: number) => {
    const [lo, hi] = ranges[i];
    return H - pad.b - (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * (H - pad.t - pad.b);
  };
  const metric = axes.length - 1;
  const colour = (v: number | null) => {
    if (v === null) return '#999';
    const [lo, hi] = ranges[metric];
    const t = hi === lo ? 0.5 : (v - lo) / (hi - lo);
    return `rgb(${Math.round(214 * (1 - t) + 44 * t)},${Math.round(39 * (1 - t) + 160 * t)},${Math.round(40 * (1 - t) + 44 * t)})`;
  };
  const lines = runs.map((r) => {
    const pts = r.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(i, v).toFixed(1)}`)).filter((p): p is string => p !== null);
    return `<polyline fill="none" stroke="${colour(r.values[metric])}" stroke-width="2" points="${pts.join(' ')}"><title>${esc(r.name)}</title></polyline>`;
  });
  const axisMarks = axes.map(
    (a, i) =>
      `<line x1="${x(i)}" y1="${pad.t}" x2="${x(i)}" y2="${H - pad.b}" stroke="#999"/><text x="${x(i)}" y="${H - pad.b + 14}" font-size="10" text-anchor="middle">${esc(a)}</text><text x="${x(i) + 3}" y="${pad.t - 2}" font-size="9">${num(ranges[i][1], 3)}</text><text x="${x(i) + 3}" y="${H - pad.b + 26}" font-size="9">${num(ranges[i][0], 3)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" data-axes="${axes.length}">
<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>
${axisMarks.join('\n')}
${lines.join('\n')}</svg>`;
}
