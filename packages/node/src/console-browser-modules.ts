/**
 * Typed access, for tests, to the console's pure browser modules
 * (packages/node/static/console/*.js). They are plain JavaScript served as
 * is, outside this package's TypeScript root, so they are imported by URL
 * and given the types declared here.
 */

export interface RingGeometryModule {
  readonly palette: readonly string[];
  assignColours(ids: Iterable<string>): Map<string, string>;
  partitionAngle(index: number, count: number): number;
  pointAt(cx: number, cy: number, r: number, angle: number): [number, number];
  arcPath(index: number, count: number, cx: number, cy: number, rOuter: number, rInner: number): string;
  ownerCounts(partitions: readonly (readonly string[])[]): Map<string, number>;
}

export interface LatencyWindow {
  readonly boundsSeconds: readonly number[];
  readonly perBucket: readonly number[];
  readonly count: number;
  readonly seconds: number;
}

export interface LatencyWindowModule {
  windowBetween(
    prev: { at: number; latency: import('./console-latency.js').LatencyHistogram } | undefined,
    cur: { at: number; latency: import('./console-latency.js').LatencyHistogram },
  ): LatencyWindow | undefined;
  mergeWindows(windows: readonly LatencyWindow[]): { opsPerSec: number; window: LatencyWindow | undefined };
  quantileMs(w: LatencyWindow | undefined, q: number): number | null;
}

export interface LineChartModule {
  niceMax(v: number, floor?: number): number;
  chartRuns(values: readonly (number | null)[], slots: number, width: number, height: number, yMax: number): string[];
}

/** Imports static/console/<name>; only for tests (the node serves these files, it never runs them). */
export async function importConsoleModule<T>(name: string): Promise<T> {
  return (await import(new URL(`../static/console/${name}`, import.meta.url).href)) as T;
}
