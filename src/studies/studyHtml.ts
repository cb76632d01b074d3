import { esc, lineChart, num } from '../figures/svgChart.js';
import { frocEnvelope } from '../metrics/frocEnvelope.js';
import type { StudyReport } from './studyReport.js';

/** One case under every arm (src/server/services/studiesService.ts renders them). */
export interface StudyCaseFigure {
  className: string;
  patientId: string;
  seed: number;
  /** Axial slice, 0-based. */
  slice: number;
  images: { arm: string; dice: number | null; png: Buffer }[];
}

/**
 * The study report as one self-contained HTML file (inline CSS, SVG and PNG, no script, nothing fetched),
 * to attach to a paper or a lab meeting: arms, per-class means with CIs, lesion detection and each arm's test FROC, the paired
 * comparisons with their verdicts, the fusion weight traces overlaid, time per arm, and per class the
 * reference arm's worst test case as every arm segments it.
 */
export function studyHtml(r: StudyReport, cases: StudyCaseFigure[] = []): string {
  const classes = Object.keys(r.arms[0]?.metrics ?? {});
  const metricRows = r.arms.flatMap((a) =>
    classes.map((cls) => {
      const m = a.metrics[cls];
      const cell = (k: keyof typeof m, d = 3) => (m[k] ? `${num(m[k]!.mean, d)} <small>[${num(m[k]!.ci[0], d)}, ${num(m[k]!.ci[1], d)}]</small>` : '–');
      const l = a.lesions[cls];
      return `<tr><td>${esc(a.arm)}</td><td>${esc(cls)}</td><td>${cell('dice')}</td><td>${cell('sensitivity')}</td><td>${cell('precision')}</td><td>${cell('hd95', 1)}</td><td>${l ? `${l.lesionsFound}/${l.lesions} (${num(l.detectionSensitivity)}), ${l.falsePositiveComponents} FP` : '–'}</td><td>${a.completed}/${a.runs}</td><td>${a.meanDurationMs === null ? '–' : `${(a.meanDurationMs / 60000).toFixed(1)} min`}</td></tr>`;
    }),
  );
  const frocClasses = [...new Set(r.arms.flatMap((a) => Object.keys(a.froc)))];
  const frocRates = r.arms.flatMap((a) => Object.values(a.froc))[0]?.rates.map((q) => q.falsePositivesPerCase) ?? [];
  const frocRows = r.arms.flatMap((a) =>
    Object.entries(a.froc).map(
      ([cls, f]) =>
        `<tr><td>${esc(a.arm)}</td><td>${esc(cls)}</td>${f.rates.map((q) => `<td>${num(q.sensitivity)}</td>`).join('')}<td>${num(f.cpm)}${f.cpmCi ? ` <small>[${num(f.cpmCi[0])}, ${num(f.cpmCi[1])}]</small>` : ''}</td><td>${f.lesions} in ${f.cases} cases (${f.runs} runs)</td></tr>`,
    ),
  );
  const frocCharts = frocClasses.map((cls) =>
    lineChart(
      `${cls}: lesions found against false positives per case (test FROC)`,
      r.arms.flatMap((a) => (a.froc[cls] ? [{ name: a.arm, points: frocEnvelope(a.froc[cls].curve, 8) }] : [])),
      { label: 'false positives per case', shift: 0, decimals: 1 },
    ),
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
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}small{color:#666}.ns{color:#666}.sig{font-weight:bold}svg{margin:0 1rem 1rem 0;border:1px solid #eee}.cases{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.6rem}figure{margin:0}figure img{width:100%;image-rendering:pixelated}figcaption{font-size:.85rem;color:#555}</style></head>
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
${
  frocRows.length
    ? `<h2>Lesion detection over every threshold (test FROC, pooled over seeds)</h2>
<p>Share of lesions found at most this many false-positive components per case, over every probability threshold (a candidate is a 26-connected component of p &gt;= t; it finds a lesion when their IoU is at least 0.1, and is a false positive when it finds none), and the CPM, their mean: how well each arm ranks lesions, whichever operating point is chosen. Pooled over the seeds' test splits; no paired test.</p>
<table><tr><th>arm</th><th>class</th>${frocRates.map((q) => `<th>${q}</th>`).join('')}<th>CPM</th><th>lesions</th></tr>${frocRows.join('')}</table>
<div>${frocCharts.join('')}</div>`
    : ''
}
<h2>Fusion weights per epoch (mean over seeds)</h2>
<div>${charts.join('')}</div>
${
  cases.length
    ? `<h2>The same case under each arm</h2>
<p>Per class, the test case on which the reference arm does worst (first seed all arms completed), its class alone in agreement overlay: true positive yellow, false positive red, false negative blue; window 40/400.</p>
${cases
  .map(
    (c) =>
      `<h3>${esc(c.className)}: ${esc(c.patientId)}, seed ${c.seed}, slice ${c.slice + 1}</h3><div class="cases">${c.images.map((i) => `<figure><img alt="${esc(i.arm)}" src="data:image/png;base64,${i.png.toString('base64')}"><figcaption>${esc(i.arm)}: Dice ${num(i.dice)}</figcaption></figure>`).join('')}</div>`,
  )
  .join('\n')}`
    : ''
}
<h2>Arms</h2>
<table><tr><th>arm</th><th>run-config overrides</th></tr>${r.study.arms.map((a) => `<tr><td>${esc(a.name)}</td><td><code>${esc(JSON.stringify(a.overrides))}</code></td></tr>`).join('')}</table>
<p><small>Base config: <code>${esc(JSON.stringify(r.study.baseConfig))}</code></small></p>
</body></html>
`;
}
