import type { KvOutcome, KvRequest, NodePools } from './chaos-http.js';
import type { HistoryRecorder } from './chaos-history.js';
import type { ChaosRandom } from './chaos-random.js';
import { findableValue } from './chaos-values.js';

export interface WorkloadOptions {
  readonly clients: number;
  /** keys every client shares with all the others */
  readonly keysShared: number;
  /** keys only one client writes */
  readonly keysOwn: number;
  /** node ids, by index as in the pools */
  readonly nodeIds: readonly string[];
  /** the nodes a client may send to now (the fault loop's view of who serves) */
  readonly liveNodes: () => readonly number[];
  readonly pools: NodePools;
  readonly recorder: HistoryRecorder;
  readonly random: ChaosRandom;
  /**
   * PUT values carry a hash suffix (`c3-17~…`, chaos-values.ts) so the corrupt
   * fault can find them in table files; bare ids otherwise.
   */
  readonly findableValues?: boolean;
}

/** The operation mix: reads, writes (mostly with the context last seen), some deletes. */
export const MIX = {
  getShare: 0.35,
  deleteShare: 0.1,
  /** a write of a key whose context the client holds sends it this often (else writes blind) */
  withContext: 0.9,
  /** a write of a key with no context held reads it first this often (else writes blind) */
  readFirst: 0.7,
  /** of the picks, this share goes to shared keys (when both kinds exist) */
  sharedShare: 0.5,
} as const;

export interface WorkloadCounters {
  sent: number;
  ok: number;
  fail: number;
  info: number;
}

export const sharedKey = (i: number): string => `shared-${i}`;
export const ownKey = (client: number, i: number): string => `c${client}-k${i}`;

/**
 * Closed-loop clients: each has one request in flight at a time, on its own
 * keys and the shared ones, sent to a random live node. Every value written is
 * unique (`c<client>-<seq>`, with a hash suffix when the corrupt fault must find
 * it on disk; a delete's tombstone id likewise), so the checker can tell where
 * each value read came from.
 */
export class Workload {
  readonly counters: WorkloadCounters = { sent: 0, ok: 0, fail: 0, info: 0 };
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(private readonly o: WorkloadOptions) {}

  start(): void {
    const loops = Array.from({ length: this.o.clients }, (_, c) => this.client(c, this.o.random.fork()));
    this.running = Promise.all(loops).then(() => undefined);
  }

  /** Lets every in-flight request finish (so the history has no open operation) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async client(c: number, rng: ChaosRandom): Promise<void> {
    const { keysOwn, keysShared } = this.o;
    /** key → context held (present with undefined: we know the key holds nothing we saw) */
    const held = new Map<string, string | undefined>();
    let seq = 0;
    while (!this.stopping) {
      const live = this.o.liveNodes();
      if (live.length === 0) {
        await sleep(50);
        continue;
      }
      const node = rng.pick(live);
      const shared = keysOwn === 0 || (keysShared > 0 && rng.chance(MIX.sharedShare));
      const key = shared ? sharedKey(rng.int(keysShared)) : ownKey(c, rng.int(keysOwn));
      const known = held.has(key);
      const ctx = held.get(key);
      const x = rng.next();
      let req: KvRequest;
      if (x < MIX.getShare || (!known && rng.chance(MIX.readFirst))) {
        req = { method: 'GET', key };
      } else if (x < MIX.getShare + MIX.deleteShare) {
        // Only with a context: a DELETE without one makes the server delete whatever its own read
        // finds (Riak's semantics), which the history cannot tell, so the checker could only
        // give it the benefit of the doubt. Read first instead.
        req = ctx !== undefined ? { method: 'DELETE', key, value: `c${c}-${seq++}`, ctx } : { method: 'GET', key };
      } else {
        const sendCtx = known && ctx !== undefined && rng.chance(MIX.withContext);
        const id = `c${c}-${seq++}`;
        req = { method: 'PUT', key, value: this.o.findableValues === true ? findableValue(id) : id, ...(sendCtx ? { ctx } : {}) };
      }
      const out = await this.perform(c, node, req);
      if (out.phase === 'ok') held.set(key, out.ctx);
      else if (req.method !== 'GET') held.delete(key); // maybe applied: what we hold is unknown now
    }
  }

  private async perform(client: number, node: number, req: KvRequest): Promise<KvOutcome> {
    const nodeId = this.o.nodeIds[node] ?? `n${node + 1}`;
    const op = req.method === 'GET' ? 'get' : req.method === 'PUT' ? 'put' : 'delete';
    this.o.recorder.record({
      client,
      op,
      key: req.key,
      ...(req.value === undefined ? {} : { value: req.value }),
      ...(req.ctx === undefined ? {} : { ctx: req.ctx }),
      phase: 'invoke',
      node: nodeId,
    });
    this.counters.sent++;
    const out = await this.o.pools.request(node, req);
    this.counters[out.phase]++;
    this.o.recorder.record({ client, op, key: req.key, ...outcomeFields(out), phase: out.phase, node: nodeId });
    return out;
  }
}

/** The fields of an outcome that go into its history line. */
export function outcomeFields(out: KvOutcome): { status?: number; error?: string; ctx?: string; values?: string[] } {
  return {
    ...(out.values === undefined ? {} : { values: out.values }),
    ...(out.ctx === undefined ? {} : { ctx: out.ctx }),
    ...(out.status === undefined ? {} : { status: out.status }),
    ...(out.error === undefined ? {} : { error: out.error }),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
