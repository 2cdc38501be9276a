import { performance } from 'node:perf_hooks';
import { build } from 'hdr-histogram-js';
import type { Pool } from 'undici';

export type BenchOp = 'PUT' | 'GET';

export interface PhaseOptions {
  readonly op: BenchOp;
  /** one pool per node; requests go to them in turn */
  readonly pools: readonly Pool[];
  /** requests in flight at all times (closed loop) */
  readonly clients: number;
  readonly seconds: number;
  /** the one value every PUT sends */
  readonly value: Uint8Array;
  /** shared across phases: what PUT wrote, where GET reads */
  readonly keyspace: Keyspace;
  /** set to stop early (Ctrl-C) */
  readonly aborted: () => boolean;
  /** called once a second with the operations completed so far */
  readonly onTick?: (done: number, errors: number, elapsedMs: number) => void;
}

export interface PhaseResult {
  readonly op: BenchOp;
  readonly ops: number;
  readonly errors: number;
  /** GETs of a key that was written but came back 404 (a lost or not yet visible write) */
  readonly notFound: number;
  /** GETs answered 300: the key has siblings */
  readonly siblings: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** error kinds, e.g. "HTTP 503" or "ECONNRESET", with counts */
  readonly errorKinds: Readonly<Record<string, number>>;
}

/**
 * Keys written so far and the context each write returned. Rewrites of a key
 * (when the PUT phase wraps around the key space) send that context, so they
 * replace the old value instead of piling up siblings as blind writes would.
 */
export class Keyspace {
  private next = 0;
  readonly contexts: (string | undefined)[];
  readonly paths: string[];

  constructor(readonly size: number) {
    this.contexts = new Array<string | undefined>(size);
    // Built once: the load loop then allocates no key strings.
    this.paths = Array.from({ length: size }, (_, i) => `/kv/bench-${i}`);
  }

  nextToWrite(): number {
    const i = this.next % this.size;
    this.next++;
    return i;
  }

  /** A key drawn uniformly from those the PUT phase has issued. */
  randomWritten(): number {
    const written = Math.min(this.next, this.size);
    return written === 0 ? 0 : Math.floor(Math.random() * written);
  }
}

const putHeaders = { 'content-type': 'application/octet-stream' } as const;

/** Runs `clients` closed loops for `seconds` and measures every request. */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  // Microseconds; autoResize keeps very slow outliers instead of throwing.
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  const errorKinds: Record<string, number> = {};
  let ops = 0;
  let errors = 0;
  let notFound = 0;
  let siblings = 0;
  let turn = 0;
  const started = performance.now();
  const stopAt = started + o.seconds * 1000;
  const fail = (kind: string): void => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt && !o.aborted()) {
      const pool = o.pools[turn++ % o.pools.length];
      if (pool === undefined) return;
      const isPut = o.op === 'PUT';
      const key = isPut ? o.keyspace.nextToWrite() : o.keyspace.randomWritten();
      const path = o.keyspace.paths[key] ?? '/kv/bench-0';
      const context = isPut ? o.keyspace.contexts[key] : undefined;
      const t0 = performance.now();
      try {
        const res = isPut
          ? await pool.request({ method: 'PUT', path, body: o.value, headers: context === undefined ? putHeaders : { ...putHeaders, 'x-context': context } })
          : await pool.request({ method: 'GET', path });
        await res.body.dump({ limit: 1 << 20 });
        const status = res.statusCode;
        if (status === 200 || status === 204 || status === 300) {
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          ops++;
          if (isPut) {
            const ctx = res.headers['x-context'];
            if (typeof ctx === 'string') o.keyspace.contexts[key] = ctx;
          } else if (status === 300) {
            siblings++;
          }
        } else if (status === 404 && !isPut) {
          notFound++;
          fail('HTTP 404');
        } else {
          fail(`HTTP ${status}`);
        }
      } catch (err) {
        fail((err as { code?: string }).code ?? (err instanceof Error ? err.message : 'error'));
      }
    }
  };

  const ticker =
    o.onTick === undefined
      ? undefined
      : setInterval(() => o.onTick?.(ops, errors, performance.now() - started), 1000);
  try {
    await Promise.all(Array.from({ length: o.clients }, loop));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  const elapsedMs = performance.now() - started;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    op: o.op,
    ops,
    errors,
    notFound,
    siblings,
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? (ops * 1000) / elapsedMs : 0,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
    errorKinds,
  };
}
