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
        scales: { x: { time: false }, y: this.options.log ? { distr: 3 } : {} },
        axes: [{ label: this.xLabel }, {}],
        series: [{ label: this.xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: color(i), width: 1.5, dash: s.dash ? [6, 4] : undefined, spanGaps: true }))],
      },
      data,
      this.target,
    );
  }
}
