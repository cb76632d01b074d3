import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';
import { color, smooth, type Series } from './series.js';

export { color, colorFor, smooth, type Series } from './series.js';

/** Integer steps for the x axis (epochs, batches): no tick at epoch 0.5. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** The x range: the data's, widened by one on each side when it is a single point (uPlot would span 0-100). */
function xRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  return min === max ? [min - 1, max + 1] : [min, max];
}

/**
 * The y range: uPlot's own, except for a flat or nearly flat series (weights that stay at 1), whose span
 * is widened to a few percent of the value: uPlot's tick generator fails on such a span ("Invalid array
 * length") and would show noise as structure.
 */
function yRange(log: boolean) {
  return (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    if (min === null || max === null) return log ? [0.1, 1] : [0, 1];
    const span = max - min;
    if (span <= 1e-6 * Math.max(1, Math.abs(max))) {
      if (log) return [min / 1.1, max * 1.1];
      const pad = Math.max(1e-3, Math.abs(max) * 0.05);
      return [min - pad, max + pad];
    }
    return log ? uPlot.rangeLog(min, max, 10, true) : uPlot.rangeNum(min, max, 0.1, true);
  };
}

/**
 * A line chart (uPlot) with a title, as wide as its card; `update` redraws it with new data (live runs
 * append points). Hovering shows every series' value in the legend; dragging across zooms in (double
 * click zooms out). Options: a log/linear toggle (charts that start in log scale) and a smoothing
 * slider (batch charts); `fractionalX` for an x that is not a count (a threshold).
 */
export class LineChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly target: HTMLElement;
  private log: boolean;
  private smoothing = 0;
  private last: { x: number[]; series: Series[] } | null = null;

  constructor(
    readonly title: string,
    private readonly xLabel: string,
    private readonly options: { log?: boolean; height?: number; smoothing?: boolean; fractionalX?: boolean } = {},
  ) {
    this.log = Boolean(options.log);
    this.target = h('div');
    const controls = h('div', { class: 'chart-controls' });
    if (options.log) {
      const box = h('input', { type: 'checkbox', checked: true, 'data-control': 'log' }) as HTMLInputElement;
      box.addEventListener('change', () => {
        this.log = box.checked;
        this.redraw(true);
      });
      controls.append(h('label', {}, box, ' log scale'));
    }
    if (options.smoothing) {
      const slider = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: '0', 'data-control': 'smoothing' }) as HTMLInputElement;
      slider.addEventListener('input', () => {
        this.smoothing = Number(slider.value);
        this.redraw(false);
      });
      controls.append(h('label', {}, ' smoothing ', slider));
    }
    this.el = h('div', { class: 'chart', 'data-chart': title }, h('h3', {}, title), controls, this.target);
  }

  update(x: number[], series: Series[]): void {
    this.last = { x, series };
    this.redraw(false);
  }

  private redraw(rebuild: boolean): void {
    if (!this.last) return;
    const { x, series } = this.last;
    this.el.dataset.points = String(x.length);
    const data = [x, ...series.map((s) => smooth(s.values, this.smoothing))] as uPlot.AlignedData;
    if (!rebuild && this.plot && this.plot.series.length === series.length + 1) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    // The card's width (the grid gives each card at least 460 px), less its padding.
    const width = Math.max(300, (this.el.clientWidth || 460) - 16);
    this.plot = new uPlot(
      {
        width,
        height: this.options.height ?? 220,
        scales: { x: { time: false, range: xRange }, y: { ...(this.log ? { distr: 3 } : {}), range: yRange(this.log) } },
        axes: [{ label: this.xLabel, ...(this.options.fractionalX ? {} : { incrs: INTEGER_STEPS }) }, {}],
        series: [{ label: this.xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? color(i), width: 1.5, dash: s.dash ? [6, 4] : undefined, spanGaps: true }))],
      },
      data,
      this.target,
    );
  }
}
