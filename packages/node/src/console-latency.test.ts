import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { importConsoleModule, type LatencyWindowModule, type LineChartModule } from './console-browser-modules.js';
import { readLatencyHistogram, sumHistogram, type LatencyHistogram } from './console-latency.js';

const lw = await importConsoleModule<LatencyWindowModule>('latency-window.js');
const chart = await importConsoleModule<LineChartModule>('line-chart.js');

function registryWith(observations: readonly [op: string, seconds: number][]): Registry {
  const registry = new Registry();
  const h = new Histogram({
    name: 'ringkv_http_request_duration_seconds',
    help: 'test',
    labelNames: ['op'],
    buckets: [0.001, 0.01, 0.1],
    registers: [registry],
  });
  for (const [op, s] of observations) h.observe({ op }, s);
  return registry;
}

const hist = (cumulative: number[], sumSeconds = 0): LatencyHistogram => ({
  boundsSeconds: [0.001, 0.01, 0.1],
  cumulative,
  count: cumulative.at(-1) ?? 0,
  sumSeconds,
});

describe('console latency histogram (node side)', () => {
  it('sums the key operations of the request histogram and leaves the rest out', async () => {
    const registry = registryWith([
      ['get', 0.0005],
      ['put', 0.005],
      ['delete', 0.05],
      ['get', 5],
      ['other', 0.0001],
    ]);
    const h = await readLatencyHistogram(registry);
    expect(h.boundsSeconds).toEqual([0.001, 0.01, 0.1]);
    expect(h.cumulative).toEqual([1, 2, 3, 4]);
    expect(h.count).toBe(4);
    expect(h.sumSeconds).toBeCloseTo(5.0555);
  });

  it('is empty before the first request', () => {
    expect(sumHistogram([])).toEqual({ boundsSeconds: [], cumulative: [0], count: 0, sumSeconds: 0 });
  });
});

describe('console latency window (browser side)', () => {
  it('gives the rate and the requests per bucket between two samples', () => {
    const w = lw.windowBetween({ at: 1000, latency: hist([1, 2, 3, 4]) }, { at: 3000, latency: hist([11, 12, 23, 24]) });
    expect(w).toEqual({ boundsSeconds: [0.001, 0.01, 0.1], perBucket: [10, 0, 10, 0], count: 20, seconds: 2 });
    expect(lw.mergeWindows(w === undefined ? [] : [w]).opsPerSec).toBe(10);
  });

  it('interpolates quantiles inside buckets, and caps the +Inf bucket at the largest bound', () => {
    const w = { boundsSeconds: [0.001, 0.01, 0.1], perBucket: [50, 40, 9, 1], count: 100, seconds: 1 };
    expect(lw.quantileMs(w, 0.5)).toBeCloseTo(1); // exactly the 50th request: top of the first bucket
    expect(lw.quantileMs(w, 0.7)).toBeCloseTo(1 + 9 * (20 / 40)); // halfway through 1..10 ms
    expect(lw.quantileMs(w, 0.995)).toBeCloseTo(100);
    expect(lw.quantileMs({ ...w, perBucket: [0, 0, 0, 0], count: 0 }, 0.5)).toBeNull();
    expect(lw.quantileMs(undefined, 0.99)).toBeNull();
  });

  it('treats a histogram with no buckets yet as all zeros, and refuses samples it cannot compare', () => {
    const empty = { at: 0, latency: sumHistogram([]) };
    expect(lw.windowBetween(empty, { at: 1000, latency: hist([2, 2, 2, 2]) })?.perBucket).toEqual([2, 0, 0, 0]);
    expect(lw.windowBetween(empty, { at: 1000, latency: sumHistogram([]) })?.count).toBe(0);
    expect(lw.windowBetween(undefined, { at: 1000, latency: hist([1, 1, 1, 1]) })).toBeUndefined();
    // a restart: counts went down
    expect(lw.windowBetween({ at: 0, latency: hist([5, 5, 5, 5]) }, { at: 1000, latency: hist([1, 1, 1, 1]) })).toBeUndefined();
    // no time passed
    expect(lw.windowBetween({ at: 5, latency: hist([1, 1, 1, 1]) }, { at: 5, latency: hist([2, 2, 2, 2]) })).toBeUndefined();
  });

  it('adds up the windows of several nodes', () => {
    const a = { boundsSeconds: [0.001, 0.01, 0.1], perBucket: [10, 0, 0, 0], count: 10, seconds: 2 };
    const b = { boundsSeconds: [0.001, 0.01, 0.1], perBucket: [0, 0, 10, 0], count: 10, seconds: 1 };
    const idle = { boundsSeconds: [], perBucket: [0], count: 0, seconds: 1 };
    const { opsPerSec, window } = lw.mergeWindows([a, b, idle]);
    expect(opsPerSec).toBe(15);
    expect(window?.perBucket).toEqual([10, 0, 10, 0]);
    expect(window?.count).toBe(20);
    expect(lw.quantileMs(window, 0.99)).toBeGreaterThan(10);
  });
});

describe('console line chart', () => {
  it('rounds the axis up to 1, 2 or 5 × 10^k', () => {
    expect([0, 0.3, 1, 1.2, 3, 7, 10, 11, 420].map((v) => chart.niceMax(v))).toEqual([1, 1, 1, 2, 5, 10, 10, 20, 500]);
    expect(chart.niceMax(0.03, 0.01)).toBeCloseTo(0.05);
  });

  it('right-aligns the samples and breaks the line where one is missing', () => {
    expect(chart.chartRuns([0, 10, null, 5], 5, 100, 10, 10)).toEqual(['25,10 50,0', '100,5']);
    expect(chart.chartRuns([20], 3, 100, 10, 10)).toEqual(['100,0']); // clipped at the top
    expect(chart.chartRuns([], 60, 100, 10, 10)).toEqual([]);
  });
});
