/** Helpers of the self-contained HTML reports (study and run): escaping, numbers, SVG line charts. */

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
export const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '–' : v.toFixed(d));
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** One SVG line chart: x = epoch, one line per series, a legend; no script, no external reference. */
export function lineChart(title: string, series: { name: string; points: [number, number][] }[]): string {
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
<text x="${sx(x0)}" y="${H - pad.b + 14}" font-size="10">${x0 + 1}</text><text x="${sx(x1)}" y="${H - pad.b + 14}" font-size="10" text-anchor="end">epoch ${x1 + 1}</text>
${lines.join('\n')}
<text x="${pad.l}" y="${H - 4}" font-size="10">${legend}</text></svg>`;
}
