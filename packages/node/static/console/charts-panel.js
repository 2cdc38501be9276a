// Request rate and latency of the whole cluster over the last samples.
import { h, show } from './dom.js';
import { ms, rate } from './format.js';
import { mergeWindows, quantileMs, windowBetween } from './latency-window.js';
import { lineChart } from './line-chart.js';

const slots = 60;
/** per node: its previous sample, to difference against */
const previous = new Map();
const history = { ops: [], p50: [], p99: [] };

function push(series, v) {
  series.push(v);
  if (series.length > slots) series.shift();
}

/** @param {import('./main.js').ClusterDocument} cluster */
export function renderCharts(cluster) {
  const windows = [];
  for (const [id, got] of Object.entries(cluster.samples)) {
    if (!got.ok) {
      previous.delete(id);
      continue;
    }
    const w = windowBetween(previous.get(id), got.sample);
    if (w !== undefined) windows.push(w);
    previous.set(id, got.sample);
  }
  // The first poll has nothing to difference against: no point rather than a false zero.
  const { opsPerSec, window } = mergeWindows(windows);
  push(history.ops, windows.length === 0 ? null : opsPerSec);
  push(history.p50, quantileMs(window, 0.5));
  push(history.p99, quantileMs(window, 0.99));

  const last = (xs) => xs.at(-1) ?? null;
  show('charts',
    h('figure', {},
      h('figcaption', {}, 'key requests / s (all nodes) ', h('strong', { 'data-figure': 'ops' }, rate(last(history.ops)))),
      lineChart([{ name: 'ops/s', cls: 'ops', values: history.ops }], { slots, format: rate, label: 'key requests per second' })),
    h('figure', {},
      h('figcaption', {}, 'latency ',
        h('span', { class: 'key-p50' }, 'p50 '), h('strong', {}, ms(last(history.p50))), ' ',
        h('span', { class: 'key-p99' }, 'p99 '), h('strong', {}, ms(last(history.p99)))),
      lineChart([
        { name: 'p50', cls: 'p50', values: history.p50 },
        { name: 'p99', cls: 'p99', values: history.p99 },
      ], { slots, format: (v) => ms(v), floor: 1, label: 'latency p50 and p99 in milliseconds' })),
    h('p', { class: 'muted small' }, 'GET/PUT/DELETE on /kv/ as the coordinating nodes timed them; percentiles interpolated inside histogram buckets.'));
}
