import { NodePools, type KvOutcome, type KvRequest } from './chaos-http.js';
import { ChaosRandom } from './chaos-random.js';

/**
 * The workload that runs while nodes join and leave: closed-loop clients, each
 * the only writer of its own keys, so what must be readable at the end is
 * simple to know. Every write carries the context of the client's last answer
 * for the key, so a write supersedes exactly the value it replaces; every
 * value is `<seq>|<padding>` with a per-key sequence number that only grows,
 * so "the value read is at least as new as the last acknowledged write" is
 * one comparison. The ledger records every acknowledged write.
 */

/** What the ledger knows of one key. */
export interface KeyState {
  /** sequence number of the last acknowledged write (-1: none) */
  acked: number;
  /** the context of the last answer for the key; undefined when unknown (after an unanswered write) */
  ctx: string | undefined;
  /** the next sequence number to write (past every one ever sent, answered or not) */
  next: number;
  /** a write whose outcome is unknown was sent since the last answer: read before writing again */
  unsure: boolean;
}

export class AckLedger {
  readonly keys = new Map<string, KeyState>();

  state(key: string): KeyState {
    let s = this.keys.get(key);
    if (s === undefined) {
      s = { acked: -1, ctx: undefined, next: 0, unsure: false };
      this.keys.set(key, s);
    }
    return s;
  }

  /** Keys with at least one acknowledged write: each must be readable at the end. */
  ackedKeys(): string[] {
    return [...this.keys].filter(([, s]) => s.acked >= 0).map(([k]) => k);
  }

  /** every acknowledged write (not only the last of each key) */
  writesAcked = 0;
}

export const valueOf = (seq: number, valueBytes: number): string => {
  const head = `${seq}|`;
  return head.length >= valueBytes ? head : head + 'v'.repeat(valueBytes - head.length);
};

/** The sequence number of a value this workload wrote; NaN for anything else. */
export const seqOf = (value: string): number => {
  const bar = value.indexOf('|');
  return bar <= 0 ? Number.NaN : Number(value.slice(0, bar));
};

/** One request as the workload saw it. */
export interface Sample {
  /** ms since the workload's time origin when it was sent */
  readonly start: number;
  readonly ms: number;
  readonly op: 'get' | 'put';
  readonly phase: KvOutcome['phase'];
  readonly error?: string;
}

/**
 * HTTP to whichever nodes serve now: one small pool per node URL (chaos's
 * NodePools, which already turns every outcome into ok / fail / info).
 */
export class DynamicPools {
  private readonly pools = new Map<string, NodePools>();

  constructor(
    private readonly connectionsPerNode: number,
    private readonly timeoutMs: number,
  ) {}

  request(url: string, req: KvRequest): Promise<KvOutcome> {
    let pool = this.pools.get(url);
    if (pool === undefined) {
      pool = new NodePools([url], this.connectionsPerNode, this.timeoutMs);
      this.pools.set(url, pool);
    }
    return pool.request(0, req);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}

/**
 * Writes `<key>` with the ledger's context until it is acknowledged; after an
 * unknown outcome it reads first (to get a context covering whatever landed),
 * so retries never leave a sibling behind.
 */
export async function writeUntilAcked(
  pools: DynamicPools,
  url: () => string,
  ledger: AckLedger,
  key: string,
  valueBytes: number,
  attemptsMax = 20,
): Promise<void> {
  const s = ledger.state(key);
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    if (attempt > 0) await sleep(Math.min(1000, 50 * attempt));
    if (s.unsure) {
      const got = await pools.request(url(), { method: 'GET', key });
      if (got.phase !== 'ok') continue;
      s.ctx = got.ctx;
      s.unsure = false;
    }
    const seq = s.next++;
    const out = await pools.request(url(), { method: 'PUT', key, value: valueOf(seq, valueBytes), ...(s.ctx === undefined ? {} : { ctx: s.ctx }) });
    if (out.phase === 'ok') {
      s.acked = seq;
      s.ctx = out.ctx;
      ledger.writesAcked++;
      return;
    }
    if (out.phase === 'info') s.unsure = true;
  }
  throw new Error(`could not write ${key} in ${attemptsMax} attempts`);
}

export interface WorkloadOptions {
  readonly clients: number;
  /** the keys; client c writes keys[i] for i ≡ c (mod clients), so each key has one writer */
  readonly keys: readonly string[];
  readonly ledger: AckLedger;
  /** the node URLs a request may go to now (re-read for every request) */
  readonly nodes: () => readonly string[];
  readonly pools: DynamicPools;
  readonly valueBytes: number;
  /** share of requests that read (default 0.2) */
  readonly readShare?: number;
  readonly seed?: number;
  /** the time origin of the samples (default: performance.now() at construction) */
  readonly origin?: number;
}

export interface WorkloadCounters {
  sent: number;
  ok: number;
  fail: number;
  info: number;
  /** reads (default R) that returned nothing as new as the key's last acknowledged write */
  staleReads: number;
}

export class RebalanceWorkload {
  readonly samples: Sample[] = [];
  readonly counters: WorkloadCounters = { sent: 0, ok: 0, fail: 0, info: 0, staleReads: 0 };
  /** the first few stale reads, to show what happened */
  readonly staleExamples: { key: string; acked: number; read: number[]; at: number }[] = [];
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly origin: number;

  constructor(private readonly o: WorkloadOptions) {
    this.origin = o.origin ?? performance.now();
  }

  now(): number {
    return performance.now() - this.origin;
  }

  start(): void {
    const random = new ChaosRandom(this.o.seed ?? 1);
    const loops = Array.from({ length: this.o.clients }, (_, c) => this.client(c, random.fork()));
    this.running = Promise.all(loops).then(() => undefined);
  }

  /** Lets every request in flight finish, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async client(c: number, rng: ChaosRandom): Promise<void> {
    const { keys, clients, ledger } = this.o;
    const own = Math.floor((keys.length - c + clients - 1) / clients);
    if (own <= 0) return;
    const readShare = this.o.readShare ?? 0.2;
    while (!this.stopping) {
      const nodes = this.o.nodes();
      if (nodes.length === 0) {
        await sleep(50);
        continue;
      }
      const url = rng.pick(nodes);
      const key = keys[c + clients * rng.int(own)] ?? '';
      const s = ledger.state(key);
      if (s.unsure || rng.chance(readShare)) {
        const acked = s.acked;
        const out = await this.timed('get', url, { method: 'GET', key });
        if (out.phase !== 'ok') continue;
        const read = (out.values ?? []).map(seqOf);
        if (acked >= 0 && !read.some((q) => q >= acked)) {
          this.counters.staleReads++;
          if (this.staleExamples.length < 10) this.staleExamples.push({ key, acked, read, at: Math.round(this.now()) });
        }
        // The context of a read covers what it returned: a write with it supersedes exactly that.
        s.ctx = out.ctx;
        s.unsure = false;
        continue;
      }
      const seq = s.next++;
      const out = await this.timed('put', url, { method: 'PUT', key, value: valueOf(seq, this.o.valueBytes), ...(s.ctx === undefined ? {} : { ctx: s.ctx }) });
      if (out.phase === 'ok') {
        s.acked = seq;
        s.ctx = out.ctx;
        ledger.writesAcked++;
      } else if (out.phase === 'info') {
        // Maybe applied: our context no longer covers what the key may hold.
        s.unsure = true;
      }
    }
  }

  private async timed(op: 'get' | 'put', url: string, req: KvRequest): Promise<KvOutcome> {
    const start = this.now();
    this.counters.sent++;
    const out = await this.o.pools.request(url, req);
    this.counters[out.phase]++;
    this.samples.push({ start, ms: this.now() - start, op, phase: out.phase, ...(out.error === undefined ? {} : { error: out.error }) });
    return out;
  }
}

export interface WindowStats {
  readonly requests: number;
  readonly ok: number;
  readonly failed: number;
  /** outcome unknown (timeout, 503 after some replica may have stored it) */
  readonly unknown: number;
  /** ok / requests (1 when there were none) */
  readonly successRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly perSecond: number;
  /** failures and unknown outcomes by error code */
  readonly errors: Readonly<Record<string, number>>;
}

/** Requests sent in [from, to) (ms on the workload's clock). */
export function windowStats(samples: readonly Sample[], from: number, to: number): WindowStats {
  const inside = samples.filter((s) => s.start >= from && s.start < to);
  const ms = inside.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p: number): number => (ms.length === 0 ? 0 : (ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] ?? 0));
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let unknown = 0;
  for (const s of inside) {
    if (s.phase === 'ok') ok++;
    else {
      if (s.phase === 'fail') failed++;
      else unknown++;
      const kind = s.error ?? s.phase;
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  }
  const seconds = Math.max(0.001, (to - from) / 1000);
  return {
    requests: inside.length,
    ok,
    failed,
    unknown,
    successRate: inside.length === 0 ? 1 : ok / inside.length,
    p50Ms: round1(pct(50)),
    p99Ms: round1(pct(99)),
    maxMs: round1(ms[ms.length - 1] ?? 0),
    perSecond: Math.round(inside.length / seconds),
    errors,
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
