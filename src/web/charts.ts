import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';

const PALETTE = ['#2a62c9', '#d9534f', '#2e9e55', '#e69f00', '#8e44ad', '#17a2b8', '#6c757d', '#c2185b'];
export const color = (i: number) => PALETTE[i % PALETTE.length];

export interface Series {
  label: string;
  values: (number | null)[];
  dash?: boolean;
}

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

/** A line chart (uPlot) with a title; `update` redraws it with new data (live runs append points). */
export class LineChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly target: HTMLElement;

  constructor(
    readonly title: string,
    private readonly xLabel: string,
    private readonly options: { log?: boolean; height?: number } = {},
  ) {
    this.target = h('div');
    this.el = h('div', { class: 'chart', 'data-chart': title }, h('h3', {}, title), this.target);
  }

  update(x: number[], series: Series[]): void {
    this.el.dataset.points = String(x.length);
    const data = [x, ...series.map((s) => s.values)] as uPlot.AlignedData;
    if (this.plot && this.plot.series.length === series.length + 1) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        width: 440,
        height: this.options.height ?? 220,
        scales: { x: { time: false, range: xRange }, y: { ...(this.options.log ? { distr: 3 } : {}), range: yRange(Boolean(this.options.log)) } },
        axes: [{ label: this.xLabel, incrs: INTEGER_STEPS }, {}],
        series: [{ label: this.xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: color(i), width: 1.5, dash: s.dash ? [6, 4] : undefined, spanGaps: true }))],
      },
      data,
      this.target,
    );
  }
}
