import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedScatter, parallelCoordinates } from '../../src/figures/svgChart.js';

describe('report SVGs', () => {
  it('pairedScatter: one circle per case, coloured by the side of the identity line', () => {
    const svg = pairedScatter('t', 'A', 'B', [
      { x: 0.2, y: 0.5, name: 'P1' },
      { x: 0.7, y: 0.4, name: 'P2' },
      { x: 0.3, y: 0.3, name: 'P3<' },
    ]);
    assert.equal((svg.match(/<circle/g) ?? []).length, 3);
    assert.match(svg, /1 of 3 case\(s\) above the line/);
    assert.deepEqual(
      [...svg.matchAll(/<circle[^>]*fill="(#[0-9a-f]+)"/g)].map((m) => m[1]),
      ['#2ca02c', '#d62728', '#777'],
    );
    assert.ok(svg.includes('P3&lt;'), 'names are escaped');
  });

  it('parallelCoordinates: one axis per setting plus the metric, one line per run, best run greenest', () => {
    const svg = parallelCoordinates(
      't',
      ['lr', 'patch', 'Dice'],
      [
        { name: 'a', values: [0.001, 32, 0.4] },
        { name: 'b', values: [0.002, 64, 0.8] },
      ],
    );
    assert.match(svg, /data-axes="3"/);
    const lines = svg.match(/<polyline[^>]*stroke="([^"]+)"/g) ?? [];
    assert.equal(lines.length, 2);
    assert.match(lines[0], /rgb\(214,39,40\)/);
    assert.match(lines[1], /rgb\(44,160,44\)/);
  });
});
