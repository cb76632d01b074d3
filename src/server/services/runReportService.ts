import type { Db } from '../../db/client.js';
import { esc, lineChart, num } from '../../figures/svgChart.js';
import { targetMeasure } from '../../train/operatingPoint.js';
import { runReport } from '../../train/runReport.js';
import { caseClassSlices, caseSlicePngImage, classPicture } from './casesService.js';

type Report = Awaited<ReturnType<typeof runReport>>;

export interface WorstCase {
  seriesInstanceUid: string;
  patientId: string;
  className: string;
  /** The class's label value: the picture overlays this class alone. */
  classIndex: number;
  dice: number;
  /** The axial slice shown: the one holding most of the class in the ground truth (else the prediction). */
  slice: number;
}

/**
 * The test cases with the lowest Dice for each foreground class (at most `perClass` each), and for
 * each the slice where the class is largest in the ground truth, else in the prediction, else the
 * middle one.
 */
export async function worstCases(db: Db, report: Report, perClass = 3): Promise<WorstCase[]> {
  const test = report.cases.filter((c) => c.split === 'test');
  const out: WorstCase[] = [];
  for (const className of [...new Set(test.map((c) => c.className))]) {
    const rows = test.filter((c) => c.className === className).sort((a, b) => a.dice - b.dice);
    for (const r of rows.slice(0, perClass)) {
      const index = await caseClassSlices(db, report.id, r.seriesInstanceUid);
      const slices = index.truth[String(r.classIndex)] ?? index.prediction[String(r.classIndex)] ?? [];
      out.push({ seriesInstanceUid: r.seriesInstanceUid, patientId: r.patientId, className, classIndex: r.classIndex, dice: r.dice, slice: slices[Math.floor(slices.length / 2)] ?? 0 });
    }
  }
  return out;
}

export interface RunFigures {
  /** Validation Dice, training loss and fusion weights per epoch, as SVG (empty charts left out). */
  curves: { name: string; title: string; svg: string }[];
  /** The worst test cases' axial slices, their class in agreement overlay (TP yellow, FP red, FN blue), window 40/400, as PNG. */
  worst: { name: string; png: Buffer; caption: string; alt: string }[];
}

/** The figures of a run, shared by the run report and the model card of an export. */
export async function runFigures(db: Db, r: Report): Promise<RunFigures> {
  const worst = await worstCases(db, r);
  const images = await Promise.all(worst.map((w) => caseSlicePngImage(db, r.id, w.seriesInstanceUid, w.slice, classPicture(w.classIndex, 2))));
  const terms = [...new Set(r.epochs.flatMap((e) => Object.keys(e.terms)))];
  const curves = [
    { name: 'validation-dice', title: 'validation mean foreground Dice', series: [{ name: 'Dice', points: r.epochs.filter((e) => e.valDice !== null).map((e) => [e.epoch, e.valDice as number] as [number, number]) }] },
    {
      name: 'training-loss',
      title: 'training loss (epoch mean)',
      series: [{ name: 'fused', points: r.epochs.map((e) => [e.epoch, e.loss] as [number, number]) }, ...terms.map((t) => ({ name: t, points: r.epochs.map((e) => [e.epoch, e.terms[t]] as [number, number]) }))],
    },
    { name: 'fusion-weights', title: 'fusion weights', series: terms.map((t) => ({ name: t, points: r.epochs.filter((e) => t in e.weights).map((e) => [e.epoch, e.weights[t]] as [number, number]) })) },
  ];
  // Per target class, the validation trade-off its threshold was picked from (what the target costs in Dice).
  const names = r.plan?.classNames ?? [];
  const tradeOffs = Object.entries(r.operatingPoint ?? {})
    .filter(([, p]) => p.curve.length)
    .map(([c, p]) => {
      const title = `${names[Number(c)] ?? `class ${c}`} on validation by threshold (chosen ${p.threshold ?? 'arg-max'})`;
      const line = (name: string, v: (q: (typeof p.curve)[number]) => number | null) => ({ name, points: p.curve.flatMap((q) => (v(q) === null ? [] : [[q.t, v(q) as number] as [number, number]])) });
      const svg = lineChart(title, [line('sensitivity', (q) => q.sensitivity), line('precision', (q) => q.precision), line('Dice', (q) => q.dice), line('lesions found', (q) => q.detection)], { label: 'threshold', shift: 0, decimals: 3 });
      return { name: `trade-off-class-${c}`, title, svg };
    });
  return {
    curves: [...curves.map((c) => ({ name: c.name, title: c.title, svg: lineChart(c.title, c.series) })), ...tradeOffs].filter((c) => c.svg),
    worst: worst.map((w, i) => ({
      // Numbered, not named after the class: class names come from the dataset's labels.json.
      name: `worst-case-${i + 1}`,
      png: images[i],
      caption: `${w.className}: ${w.patientId}, Dice ${num(w.dice)}, slice ${w.slice + 1}`,
      alt: `${w.patientId} slice ${w.slice + 1}`,
    })),
  };
}

/**
 * A run as one self-contained HTML file (inline CSS, SVG and PNG, no script, nothing fetched; prints to
 * PDF from a browser): config, curves, per-class test tables with lesion-wise detection, the operating
 * point, and the worst test cases rendered server-side (agreement overlay: TP yellow, FP red, FN blue).
 */
export async function runReportHtml(db: Db, runId: string): Promise<string> {
  const r = await runReport(db, runId);
  const { curves, worst } = await runFigures(db, r);
  const title = r.name ?? r.id.slice(0, 8);
  const classes = Object.keys(r.test ?? {});
  const agg = (cls: string, m: string, d = 3) => {
    const a = r.test?.[cls]?.[m];
    return a ? `${num(a.mean, d)} ± ${num(a.std, d)}` : '–';
  };
  const testRows = classes.map((cls) => {
    const l = r.lesions.test?.[cls];
    return `<tr><td>${esc(cls)}</td><td>${agg(cls, 'dice')}</td><td>${agg(cls, 'sensitivity')}</td><td>${agg(cls, 'precision')}</td><td>${agg(cls, 'hd95', 1)}</td><td>${l ? `${l.lesionsFound}/${l.lesions}, ${l.falsePositiveComponents} FP` : '–'}</td></tr>`;
  });
  const op = Object.entries(r.operatingPoint ?? {}).map(
    ([c, p]) =>
      `<li>class ${esc(c)}: target ${targetMeasure(p.basis)} ${num(p.target, 2)}, threshold ${num(p.threshold, 3)}${p.outlineThreshold === undefined ? '' : `, outlined at ${num(p.outlineThreshold, 3)}`}${p.test ? `, test sensitivity ${num(p.test.sensitivity)} [${num(p.test.ci[0])}, ${num(p.test.ci[1])}]` : ''}</li>`,
  );
  const figures = worst.map((w) => `<figure><img alt="${esc(w.alt)}" src="data:image/png;base64,${w.png.toString('base64')}"><figcaption>${esc(w.caption)}</figcaption></figure>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SegFusion run ${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5rem auto;color:#1d2330}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.montage{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.8rem}figure{margin:0}figure img{width:100%;image-rendering:pixelated}
figcaption{font-size:.85rem;color:#555}pre{background:#f4f5f8;padding:.6rem;font-size:.8rem;white-space:pre-wrap}@media print{.charts svg{break-inside:avoid}figure{break-inside:avoid}}</style></head><body>
<h1>SegFusion run ${esc(title)}</h1>
<p>${esc(r.dataset)} · ${esc(r.strategy)} · ${esc(r.status)} · ${r.epochsDone}/${r.totalEpochs} epochs · best epoch ${r.bestEpoch === null ? '–' : r.bestEpoch + 1} (validation Dice ${num(r.bestDice)}) · run ${esc(r.id)}</p>
<h2>Curves</h2><div class="charts">${curves.map((c) => c.svg).join('\n')}</div>
<h2>Test split (mean ± std over cases)</h2>
${classes.length ? `<table><thead><tr><th>class</th><th>Dice</th><th>sensitivity</th><th>precision</th><th>HD95 (mm)</th><th>lesions found, false-positive components</th></tr></thead><tbody>${testRows.join('')}</tbody></table>` : '<p>No test results.</p>'}
${op.length ? `<h2>Operating point</h2><ul>${op.join('')}</ul>` : ''}
<h2>Worst test cases</h2>
<p>Agreement overlay: true positive yellow, false positive red, false negative blue; window 40/400.</p>
<div class="montage">${figures.join('\n') || '<p>No test cases.</p>'}</div>
<h2>Config</h2><pre>${esc(JSON.stringify(r.config, null, 2))}</pre>
<p><small>Versions: ${esc(JSON.stringify(r.versions ?? {}))}</small></p>
</body></html>`;
}
