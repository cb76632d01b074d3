import type { StudyReport } from './studyReport.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '–' : v.toFixed(d));
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** One SVG line chart: x = epoch, one line per series, a legend; no script, no external reference. */
function lineChart(title: string, series: { name: string; points: [number, number][] }[]): string {
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

/**
 * The study report as one self-contained HTML file (inline CSS and SVG, no script, nothing fetched), to
 * attach to a paper or a lab meeting: arms, per-class means with CIs, lesion detection, the paired
 * comparisons with their verdicts, the fusion weight traces overlaid, and time per arm.
 */
export function studyHtml(r: StudyReport): string {
  const classes = Object.keys(r.arms[0]?.metrics ?? {});
  const metricRows = r.arms.flatMap((a) =>
    classes.map((cls) => {
      const m = a.metrics[cls];
      const cell = (k: keyof typeof m, d = 3) => (m[k] ? `${num(m[k]!.mean, d)} <small>[${num(m[k]!.ci[0], d)}, ${num(m[k]!.ci[1], d)}]</small>` : '–');
      const l = a.lesions[cls];
      return `<tr><td>${esc(a.arm)}</td><td>${esc(cls)}</td><td>${cell('dice')}</td><td>${cell('sensitivity')}</td><td>${cell('precision')}</td><td>${cell('hd95', 1)}</td><td>${l ? `${l.lesionsFound}/${l.lesions} (${num(l.detectionSensitivity)}), ${l.falsePositiveComponents} FP` : '–'}</td><td>${a.completed}/${a.runs}</td><td>${a.meanDurationMs === null ? '–' : `${(a.meanDurationMs / 60000).toFixed(1)} min`}</td></tr>`;
    }),
  );
  const losses = [...new Set(r.arms.flatMap((a) => a.weights.flatMap((w) => Object.keys(w.weights))))];
  const charts = losses.map((loss) =>
    lineChart(
      `fusion weight of ${loss}`,
      r.arms.map((a) => ({ name: a.arm, points: a.weights.filter((w) => loss in w.weights).map((w) => [w.epoch, w.weights[loss]] as [number, number]) })),
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SegFusion study ${esc(r.study.name)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}small{color:#666}.ns{color:#666}.sig{font-weight:bold}svg{margin:0 1rem 1rem 0;border:1px solid #eee}</style></head>
<body>
<h1>Study ${esc(r.study.name)}</h1>
<p>Dataset <b>${esc(r.study.dataset)}</b>; arms ${r.study.arms.map((a) => `<b>${esc(a.name)}</b>`).join(', ')} x ${r.study.seeds} seed(s), each seed's split and budget shared by every arm; reference arm <b>${esc(r.study.referenceArm)}</b>. Runs: ${Object.entries(
    r.status,
  )
    .map(([s, n]) => `${n} ${esc(s)}`)
    .join(', ')}. Study <code>${esc(r.study.id)}</code>, created ${r.study.createdAt.toISOString()}.</p>
<h2>Verdicts</h2>
<p>Each arm against the reference, paired by seed and test case: mean difference with its 95 % bootstrap CI, two-sided Wilcoxon signed-rank test; ${esc(r.correction)}.</p>
<ul>${r.comparisons.map((c) => `<li class="${c.pAdjusted !== null && c.pAdjusted < 0.05 ? 'sig' : 'ns'}">${esc(c.verdict)}</li>`).join('')}</ul>
<h2>Per arm and class (test split; mean over cases [95 % bootstrap CI])</h2>
<table><tr><th>arm</th><th>class</th><th>Dice</th><th>sensitivity</th><th>precision</th><th>HD95 (mm)</th><th>lesions found (sensitivity), FP components</th><th>runs done</th><th>time per run</th></tr>${metricRows.join('')}</table>
<h2>Fusion weights per epoch (mean over seeds)</h2>
<div>${charts.join('')}</div>
<h2>Arms</h2>
<table><tr><th>arm</th><th>run-config overrides</th></tr>${r.study.arms.map((a) => `<tr><td>${esc(a.name)}</td><td><code>${esc(JSON.stringify(a.overrides))}</code></td></tr>`).join('')}</table>
<p><small>Base config: <code>${esc(JSON.stringify(r.study.baseConfig))}</code></small></p>
</body></html>
`;
}
