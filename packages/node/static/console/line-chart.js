// A small SVG line chart of the last samples; hand-drawn to stay dependency-free.
import { s } from './dom.js';

/** The smallest 1, 2 or 5 × 10^k at or above v (at least `floor`), so the axis reads as a round number. */
export function niceMax(v, floor = 1) {
  const x = Math.max(v, floor);
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/**
 * Polyline points for `values` (null = no sample: the line breaks there),
 * right-aligned so the newest sample is at the right edge of a `slots`-wide chart.
 * @param {(number | null)[]} values
 * @returns {string[]} one "x,y x,y …" string per unbroken run
 */
export function chartRuns(values, slots, width, height, yMax) {
  const step = slots > 1 ? width / (slots - 1) : 0;
  const offset = slots - values.length;
  const runs = [];
  let run = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (run.length > 0) runs.push(run);
      run = [];
      return;
    }
    const x = Math.round((offset + i) * step * 10) / 10;
    const y = Math.round((height - (Math.min(v, yMax) / yMax) * height) * 10) / 10;
    run.push(`${x},${y}`);
  });
  if (run.length > 0) runs.push(run);
  return runs.map((r) => r.join(' '));
}

/**
 * Draws the series into a fresh <svg>.
 * @param {{ name: string, cls: string, values: (number|null)[] }[]} series
 * @param {{ slots: number, format: (v: number) => string, floor?: number, label: string }} opts
 */
export function lineChart(series, opts) {
  const width = 300;
  const height = 70;
  const pad = { left: 48, top: 8, bottom: 14, right: 6 };
  const all = series.flatMap((x) => x.values).filter((v) => v !== null && Number.isFinite(v));
  const yMax = niceMax(all.length === 0 ? 0 : Math.max(...all), opts.floor ?? 1);
  const plot = s('g', { transform: `translate(${pad.left} ${pad.top})` },
    s('line', { class: 'axis', x1: 0, y1: height, x2: width, y2: height }),
    s('line', { class: 'grid', x1: 0, y1: 0, x2: width, y2: 0 }),
    s('line', { class: 'grid', x1: 0, y1: height / 2, x2: width, y2: height / 2 }),
    s('text', { class: 'tick', x: -4, y: 4, 'text-anchor': 'end' }, opts.format(yMax)),
    s('text', { class: 'tick', x: -4, y: height / 2 + 4, 'text-anchor': 'end' }, opts.format(yMax / 2)),
    s('text', { class: 'tick', x: -4, y: height + 4, 'text-anchor': 'end' }, opts.format(0)),
    s('text', { class: 'tick', x: width, y: height + 13, 'text-anchor': 'end' }, 'now'),
    s('text', { class: 'tick', x: 0, y: height + 13 }, `−${opts.slots} samples`),
  );
  for (const x of series) {
    const runs = chartRuns(x.values, opts.slots, width, height, yMax);
    for (const points of runs) plot.append(s('polyline', { class: `line ${x.cls}`, points }));
    // A dot on the newest point: the only mark while there is just one sample.
    const newest = runs.at(-1)?.split(' ').at(-1);
    if (newest !== undefined && x.values.at(-1) !== null) {
      const [cx, cy] = newest.split(',');
      plot.append(s('circle', { class: `dot ${x.cls}`, cx, cy, r: 2.5 }));
    }
  }
  return s('svg', {
    viewBox: `0 0 ${width + pad.left + pad.right} ${height + pad.top + pad.bottom}`,
    class: 'chart',
    role: 'img',
    'aria-label': opts.label,
  }, plot);
}
