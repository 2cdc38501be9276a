import { RingkvError, decodeContext, emptyDots, encodeContext, etagOf, liveSiblings, readContext, resolveLww, type Dots, type KvRecord } from '@ringkv/core';
import { conditionalWrite, type WriteRequest } from '@ringkv/node';
import { describe, liveNodeOf, opEnding, steadyClock, whenRunning } from './client-ops.js';
import { counterStep } from './counter-workload.js';
import type { History, HistoryOp } from './history.js';
import type { Prng } from './prng.js';
import type { SimCluster } from './sim-cluster.js';

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** how long clients keep issuing operations (simulated ms) */
  readonly durationMs: number;
  /** probability that a write sends the client's last context for the key */
  readonly contextRate: number;
  readonly maxThinkMs: number;
  /** ?dw of every write (absent: 0, durability left to the nodes' syncWrites) */
  readonly dw?: number;
  /**
   * PN-counters beside the /kv keys (absent or 0: none, and the run draws
   * exactly what it drew before counters existed, so old seeds replay).
   */
  readonly counters?: number;
  /**
   * rate-limit windows (PN-counters incremented with ?ttl, 300 ms – 3 s)
   * beside the plain counters; absent or 0: none, and nothing is drawn for them
   */
  readonly windows?: number;
  /** share of operations that increment (60 %) or read (40 %) a counter, when there are counters */
  readonly counterRate?: number;
  /**
   * share of puts and deletes sent conditionally, for keys the client has
   * read: If-Match with that read's ETag, or If-None-Match: * when it found
   * nothing live (absent or 0: none, and nothing is drawn for it)
   */
  readonly conditionalRate?: number;
  /**
   * each operation sends its own R or W, 1..N (absent: the cluster's; nothing
   * is drawn for it), so w=1, w=N, r=1 and r=N paths all run; the checker
   * then asks a read to see a write only when their two quorums overlap
   */
  readonly varyQuorums?: boolean;
  /**
   * share of puts sent with ?ttl (50 ms – 2 s; absent or 0: none, and the
   * run draws exactly what it drew before TTLs were simulated)
   */
  readonly ttlRate?: number;
  /**
   * keys under the last-writer-wins policy beside the /kv keys (lwwKeyName;
   * the cluster must list lwwKeyPrefix in lwwPrefixes). Absent or 0: none,
   * and nothing is drawn for them. They get puts, gets and deletes like the
   * others, never conditional writes (LWW drops a concurrent writer by design)
   */
  readonly lwwKeys?: number;
}

/** The prefix the simulator's LWW keys share (lww-checker.ts checks them by the LWW rules). */
export const lwwKeyPrefix = 'lww-';

export function lwwKeyName(i: number): string {
  return `${lwwKeyPrefix}${i}`;
}

export const isLwwKey = (key: string): boolean => key.startsWith(lwwKeyPrefix);

export const defaultWorkload: WorkloadOptions = { clients: 4, keys: 4, durationMs: 20_000, contextRate: 0.8, maxThinkMs: 60 };

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Closed-loop clients that put (with and without contexts), get and delete a
 * few shared keys through random nodes, recording every operation.
 */
export function startWorkload(cluster: SimCluster, history: History, prng: Prng, opts: WorkloadOptions): void {
  const { scheduler } = cluster;
  const endAt = scheduler.now + opts.durationMs;
  for (let c = 0; c < opts.clients; c++) {
    const contexts = new Map<string, Dots>();
    /** per key, what the client's last read saw: the ETag of its live values (undefined: none) and its context */
    const lastReads = new Map<string, { readonly etag: string | undefined; readonly context: Dots }>();
    let seq = 0;
    const next = (): void => void scheduler.schedule(prng.between(1, opts.maxThinkMs), step);
    const step = (): void => {
      if (scheduler.now >= endAt) return;
      if ((opts.counters ?? 0) + (opts.windows ?? 0) > 0 && prng.chance(opts.counterRate ?? 0.3)) {
        counterStep(cluster, history, prng, opts, c, next);
        return;
      }
      const key = drawKey(prng, opts);
      const machine = prng.pick(cluster.machines);
      const roll = prng.next();
      const kind = roll < 0.45 ? 'put' : roll < 0.85 ? 'get' : 'del';
      const ctx = kind !== 'get' && prng.chance(opts.contextRate) ? contexts.get(key) : undefined;
      const value = kind === 'put' ? `c${c}-${seq++}` : undefined;
      const ttlMs = kind === 'put' && (opts.ttlRate ?? 0) > 0 && prng.chance(opts.ttlRate ?? 0) ? prng.between(50, 2000) : undefined;
      // A conditional write sends the context of the read whose ETag it names, as a client doing read-modify-write would.
      const seen = kind !== 'get' && !isLwwKey(key) && (opts.conditionalRate ?? 0) > 0 && prng.chance(opts.conditionalRate ?? 0) ? lastReads.get(key) : undefined;
      const condition = seen === undefined ? undefined : seen.etag === undefined ? 'if-none-match' : 'if-match';
      const contextIn = seen?.context ?? ctx;
      const quorum = opts.varyQuorums === true ? prng.between(1, cluster.options.params.n) : undefined;
      const op = history.add({
        client: c,
        node: machine.id,
        kind,
        key,
        invokedAt: scheduler.now,
        ...(value !== undefined ? { value } : {}),
        ...(contextIn !== undefined ? { contextIn } : {}),
        ...(ttlMs !== undefined && { ttlMs }),
        ...(condition !== undefined && { condition }),
        ...(quorum !== undefined && { quorum }),
      });
      const node = liveNodeOf(machine, op, scheduler.now, next);
      if (node === undefined) return;
      if (kind === 'get') {
        const end = opEnding(cluster, node, op, next, 'fail');
        const readerClock = steadyClock(machine);
        whenRunning(machine, () => node.coordinator.get({ key: enc.encode(key), r: quorum ?? cluster.options.params.r, pr: 0 })).then(
          ({ record: rec, sloppy }) =>
            end('ok', undefined, () => {
              op.sloppy = sloppy;
              recordRead(op, rec, isLwwKey(key));
              const clockAtStart = readerClock();
              if (clockAtStart !== undefined) op.readerClock = clockAtStart;
              if (rec !== undefined) contexts.set(key, readContext(rec));
              if (opts.conditionalRate !== undefined) lastReads.set(key, { etag: etagOf(rec, machine.proc.clock.now()), context: rec === undefined ? emptyDots() : readContext(rec) });
            }),
          (err: unknown) => end('fail', describe(err)),
        );
        return;
      }
      const end = opEnding(cluster, node, op, next, 'info');
      const req: WriteRequest = {
        key: enc.encode(key),
        value: value === undefined ? null : enc.encode(value),
        contentType: 'text/plain',
        context: contextIn === undefined ? '' : encodeContext(contextIn),
        w: quorum ?? cluster.options.params.w,
        pw: 0,
        ...(opts.dw !== undefined && { dw: opts.dw }),
        ...(ttlMs !== undefined && { ttlMs }),
      };
      const written = whenRunning(machine, () =>
        seen === undefined
          ? node.coordinator.write(req)
          : conditionalWrite(
              {
                get: (r) => node.coordinator.get(r),
                // What passes the check is written with this context: record it, whatever the outcome.
                write: (w) => {
                  op.contextUsed = w.context === '' ? emptyDots() : decodeContext(w.context);
                  return node.coordinator.write(w);
                },
              },
              () => machine.proc.clock.now(),
              req,
              seen.etag === undefined ? { ifNoneMatch: { any: true }, r: cluster.options.params.r } : { ifMatch: { any: false, tags: [seen.etag] }, r: cluster.options.params.r },
            ),
      );
      written.then(
        (res) =>
          end('ok', undefined, () => {
            op.dot = res.dot;
            const version = res.record.siblings.find((s) => s.dot.actor === res.dot.actor && s.dot.counter === res.dot.counter);
            if (version?.expiresAt !== undefined) op.expiresAt = version.expiresAt;
            if (version !== undefined && isLwwKey(key)) op.writtenAt = version.writtenAt;
            op.sloppy = res.sloppy;
            contexts.set(key, res.context);
          }),
        // A failed write may still have been applied somewhere: its outcome is unknown. A failed
        // condition was checked before anything was written.
        (err: unknown) => end(err instanceof RingkvError && err.code === 'PRECONDITION_FAILED' ? 'fail' : 'info', describe(err)),
      );
    };
    scheduler.schedule(prng.between(0, opts.maxThinkMs), step);
  }
}

/** A /kv key; with LWW keys, one of those or one of them (no extra draw without LWW keys, so old seeds replay). */
function drawKey(prng: Prng, opts: WorkloadOptions): string {
  const lww = opts.lwwKeys ?? 0;
  if (lww === 0) return `k${prng.int(opts.keys)}`;
  const i = prng.int(opts.keys + lww);
  return i < opts.keys ? `k${i}` : lwwKeyName(i - opts.keys);
}

function recordRead(op: HistoryOp, rec: KvRecord | undefined, lww: boolean): void {
  const live = rec === undefined ? [] : liveSiblings(rec);
  op.readValues = live.map((s) => dec.decode(s.value ?? new Uint8Array()));
  const deadlines = live.flatMap((s) => (s.expiresAt === undefined ? [] : [s.expiresAt]));
  if (deadlines.length > 0) op.readExpiresAt = deadlines;
  if (rec !== undefined) op.readContext = readContext(rec);
  // An LWW key's read answers one version (a tombstone for a deleted key): its place in the LWW order.
  if (lww && rec !== undefined) {
    op.readSiblings = rec.siblings.length;
    const newest = resolveLww(rec).siblings[0];
    if (newest !== undefined) op.readNewest = { writtenAt: newest.writtenAt, dot: newest.dot, deleted: newest.value === null };
  }
}
