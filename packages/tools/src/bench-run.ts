import { performance } from 'node:perf_hooks';
import { Prng } from '@ringkv/core';
import { errorKind, type KvDriver, type ReadStatus, type WriteStatus } from './bench-driver.js';
import type { KeyChooser } from './bench-keys.js';
import type { ValueSource } from './bench-values.js';
import { chooseOp, OP_KINDS, type OpKind, type Workload } from './bench-workloads.js';
import { Histogram } from './histogram.js';

/** What one kind of operation did during one workload run. */
export interface OpStats {
  readonly kind: OpKind;
  /** latency of the successful operations */
  readonly histogram: Histogram;
  errors: number;
  /** error kinds with counts, e.g. { "HTTP 503": 3, NOT_FOUND: 1 } */
  readonly errorKinds: Record<string, number>;
  /** operations that met siblings: a read answered HTTP 300, or a write refused 409 (too many) that the driver resolved */
  siblings: number;
}

export interface WorkloadStats {
  readonly elapsedMs: number;
  readonly ops: readonly OpStats[];
}

export interface RunOptions {
  readonly driver: KvDriver;
  readonly workload: Workload;
  readonly keys: KeyChooser;
  readonly values: ValueSource;
  /** requests in flight at all times (closed loop: each client sends its next request when the last one is answered) */
  readonly clients: number;
  readonly durationMs: number;
  /** every client draws from its own stream, forked from this seed */
  readonly seed: number;
  /** set to stop early (Ctrl-C) */
  readonly aborted: () => boolean;
  /** called once a second with the operations and errors so far */
  readonly onTick?: (ops: number, errors: number, elapsedMs: number) => void;
}

const newStats = (kind: OpKind): OpStats => ({ kind, histogram: new Histogram(), errors: 0, errorKinds: {}, siblings: 0 });

/** Runs one workload for `durationMs` with `clients` closed loops and measures every operation. */
export async function runWorkload(o: RunOptions): Promise<WorkloadStats> {
  const stats = new Map<OpKind, OpStats>(OP_KINDS.map((k) => [k, newStats(k)]));
  let done = 0;
  let failed = 0;
  const started = performance.now();
  const stopAt = started + o.durationMs;
  const seeds = new Prng(o.seed);

  const client = async (random: Prng): Promise<void> => {
    while (performance.now() < stopAt && !o.aborted()) {
      const kind = chooseOp(o.workload, random.next());
      const s = stats.get(kind) ?? newStats(kind);
      const t0 = performance.now();
      try {
        const outcome = await perform(o, kind, random);
        if (outcome === 'missing') throw Object.assign(new Error('not found'), { code: 'NOT_FOUND' });
        if (outcome === 'siblings') s.siblings++;
        s.histogram.recordMs(performance.now() - t0);
        done++;
      } catch (err) {
        const k = errorKind(err);
        s.errors++;
        s.errorKinds[k] = (s.errorKinds[k] ?? 0) + 1;
        failed++;
      }
    }
  };

  const ticker = o.onTick === undefined ? undefined : setInterval(() => o.onTick?.(done, failed, performance.now() - started), 1000);
  try {
    await Promise.all(Array.from({ length: o.clients }, () => client(seeds.fork())));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  return { elapsedMs: performance.now() - started, ops: [...stats.values()] };
}

/** One operation; 'missing' when a read found nothing (every key it reads was written and acknowledged). */
async function perform(o: RunOptions, kind: OpKind, random: Prng): Promise<ReadStatus | WriteStatus> {
  switch (kind) {
    case 'READ':
      return o.driver.read(o.keys.existing(random));
    case 'UPDATE':
      return o.driver.write(o.keys.existing(random), o.values.next(random));
    case 'INSERT': {
      const key = o.keys.counter.take();
      const status = await o.driver.write(key, o.values.next(random));
      o.keys.counter.ack(key);
      return status;
    }
    case 'RMW':
      return o.driver.readModifyWrite(o.keys.existing(random), o.values.next(random));
  }
}
