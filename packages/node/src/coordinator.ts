import {
  RingkvError,
  TransportError,
  decodeContext,
  emptyDots,
  encodeContext,
  mergeRecords,
  partitionOfKey,
  recordEquals,
  recordFromWire,
  recordToWire,
  type Clock,
  type Dot,
  type Dots,
  type KvRecord,
  type Transport,
} from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { callQuorum } from './quorum-call.js';
import type { ReplicaService } from './replica-service.js';
import { RPC_OPS, type CoordPutBody } from './rpc-ops.js';

export interface WriteRequest {
  readonly key: Uint8Array;
  /** null deletes */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  /** the client's X-Context ('' = none: concurrent with everything) */
  readonly context: string;
  readonly w: number;
}

export interface WriteResult {
  /** what the writer has now seen: its context plus the version it wrote */
  readonly context: Dots;
  /** the coordinating replica's record after the write (for returnbody) */
  readonly record: KvRecord;
  /** the version this write created */
  readonly dot: Dot;
}

export interface CoordinatorStats {
  gets: number;
  writes: number;
  forwarded: number;
  quorumFailures: number;
  readRepairs: number;
}

export interface CoordinatorDeps {
  readonly view: ClusterView;
  readonly replica: ReplicaService;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
}

/**
 * Runs client requests against the key's replicas: asks all N at once,
 * answers after R replies or W acks, repairs stale replicas after reads.
 * Only a replica of the key may create its new version (its dot must be
 * numbered after every earlier one of the same actor), so a node outside
 * the preference list forwards writes to one that is in it.
 */
export class Coordinator {
  readonly stats: CoordinatorStats = { gets: 0, writes: 0, forwarded: 0, quorumFailures: 0, readRepairs: 0 };

  constructor(private readonly deps: CoordinatorDeps) {}

  private get selfId(): string {
    return this.deps.view.self.id;
  }

  async get(key: Uint8Array, r: number): Promise<KvRecord | undefined> {
    this.stats.gets++;
    const { view, clock, requestTimeoutMs } = this.deps;
    const partition = partitionOfKey(key, view.params.partitionCount);
    const targets = view.preferenceList(partition);
    const result = await callQuorum<KvRecord | undefined>({
      targets,
      needed: r,
      timeoutMs: requestTimeoutMs,
      clock,
      call: (target, timeoutMs) => this.readReplica(target, partition, key, timeoutMs),
    });
    if (result.outcome !== 'met') throw this.quorumError('read', r, result.tracker.okCount, targets.length);
    void result.settled
      .then(() => this.readRepair(partition, key, result.tracker.successes()))
      .catch((err: unknown) => this.deps.logger.error({ err: String(err) }, 'read repair failed'));
    return mergeAll(result.tracker.successes().values());
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    this.stats.writes++;
    const partition = partitionOfKey(req.key, this.deps.view.params.partitionCount);
    const targets = this.deps.view.preferenceList(partition);
    if (!targets.includes(this.selfId)) return this.forwardWrite(req, targets);
    return this.coordinateWrite(partition, req);
  }

  /** Creates the new version here and replicates it; also serves writes forwarded by other nodes. */
  async coordinateWrite(partition: number, req: WriteRequest): Promise<WriteResult> {
    const { view, replica, clock, requestTimeoutMs } = this.deps;
    const context = req.context === '' ? emptyDots() : decodeContext(req.context);
    const local = await replica.write(partition, req.key, {
      context,
      value: req.value,
      contentType: req.contentType,
      writtenAt: clock.now(),
    });
    const others = view.preferenceList(partition).filter((id) => id !== this.selfId);
    const needed = req.w - 1; // our own stored copy is the first ack
    const wire = recordToWire(local.record);
    if (needed <= 0) {
      // W=1: acknowledged by our own copy; the others replicate in the background.
      for (const target of others) {
        this.writeReplica(target, partition, req.key, wire, requestTimeoutMs).catch((err: unknown) =>
          this.deps.logger.debug({ target, err: String(err) }, 'background replication failed'),
        );
      }
      return { context: local.context, record: local.record, dot: local.dot };
    }
    const result = await callQuorum<true>({
      targets: others,
      needed,
      timeoutMs: requestTimeoutMs,
      clock,
      call: (target, timeoutMs) => this.writeReplica(target, partition, req.key, wire, timeoutMs),
    });
    if (result.outcome !== 'met') {
      throw this.quorumError('write', req.w, 1 + result.tracker.okCount, others.length + 1);
    }
    return { context: local.context, record: local.record, dot: local.dot };
  }

  private async forwardWrite(req: WriteRequest, targets: readonly string[]): Promise<WriteResult> {
    this.stats.forwarded++;
    const { transport, view, clock, requestTimeoutMs } = this.deps;
    const deadline = clock.now() + requestTimeoutMs;
    const body: CoordPutBody = { k: req.key, v: req.value, ct: req.contentType, ctx: req.context, w: req.w };
    for (const target of targets) {
      const member = view.member(target);
      const remaining = deadline - clock.now();
      if (member === undefined || remaining <= 0) continue;
      let res;
      try {
        res = await transport.request(member.rpc, RPC_OPS.coordPut, body, remaining);
      } catch (err) {
        // Only an unreachable node is safe to skip: the write may have been applied on a timeout.
        if (err instanceof TransportError && err.code === 'UNREACHABLE') continue;
        throw new RingkvError('UNAVAILABLE', `forwarding the write to ${target} failed: ${(err as Error).message}`);
      }
      if (!res.ok) throw new RingkvError('UNAVAILABLE', `${target} refused the forwarded write: ${res.code} ${res.message}`);
      return parseForwardReply(res.body);
    }
    throw new RingkvError('UNAVAILABLE', 'no replica of this key could be reached to coordinate the write');
  }

  private async readReplica(target: string, partition: number, key: Uint8Array, timeoutMs: number): Promise<KvRecord | undefined> {
    if (target === this.selfId) return this.deps.replica.read(partition, key);
    const body = await this.rpc(target, RPC_OPS.replicaGet, { p: partition, k: key }, timeoutMs);
    const rec = (body as { rec?: unknown } | null)?.rec;
    return rec === null || rec === undefined ? undefined : recordFromWire(rec);
  }

  private async writeReplica(target: string, partition: number, key: Uint8Array, wire: unknown, timeoutMs: number): Promise<true> {
    await this.rpc(target, RPC_OPS.replicaPut, { p: partition, k: key, rec: wire }, timeoutMs);
    return true;
  }

  private async rpc(target: string, op: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const member = this.deps.view.member(target);
    if (member === undefined) throw new Error(`unknown member ${target}`);
    const res = await this.deps.transport.request(member.rpc, op, body, timeoutMs);
    if (!res.ok) throw new Error(`${target}: ${res.code} ${res.message}`);
    return res.body;
  }

  /** Sends the merged version to every replica whose answer lacked part of it. */
  private async readRepair(partition: number, key: Uint8Array, replies: ReadonlyMap<string, KvRecord | undefined>): Promise<void> {
    const merged = mergeAll(replies.values());
    if (merged === undefined) return;
    const wire = recordToWire(merged);
    for (const [target, rec] of replies) {
      if (rec !== undefined && recordEquals(mergeRecords(rec, merged), rec)) continue;
      this.stats.readRepairs++;
      const repair =
        target === this.selfId
          ? this.deps.replica.merge(partition, key, merged)
          : this.writeReplica(target, partition, key, wire, this.deps.requestTimeoutMs);
      repair.catch((err: unknown) => this.deps.logger.debug({ target, err: String(err) }, 'read repair failed'));
    }
  }

  private quorumError(kind: 'read' | 'write', needed: number, got: number, asked: number): RingkvError {
    this.stats.quorumFailures++;
    const what = kind === 'read' ? 'replies' : 'acknowledgements';
    return new RingkvError(
      'QUORUM_NOT_MET',
      `${kind} quorum not met: needed ${needed} ${what}, got ${got} of ${asked} replicas within ${this.deps.requestTimeoutMs} ms`,
      { needed, got },
    );
  }
}

function mergeAll(records: Iterable<KvRecord | undefined>): KvRecord | undefined {
  let merged: KvRecord | undefined;
  for (const r of records) {
    if (r === undefined) continue;
    merged = merged === undefined ? r : mergeRecords(merged, r);
  }
  return merged;
}

/** The body a coord.put handler answers: the result, or the coordinator's error with its details. */
export type CoordPutReply =
  | { readonly ctx: string; readonly rec: unknown; readonly dot: readonly [string, number] }
  | { readonly err: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } };

function parseForwardReply(body: unknown): WriteResult {
  const b = body as Record<string, unknown> | null;
  if (b !== null && typeof b === 'object' && typeof b.err === 'object' && b.err !== null) {
    const e = b.err as Record<string, unknown>;
    const code = e.code === 'QUORUM_NOT_MET' ? 'QUORUM_NOT_MET' : 'UNAVAILABLE';
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {};
    throw new RingkvError(code, String(e.message), details);
  }
  const dot = Array.isArray(b?.dot) ? (b.dot as unknown[]) : [];
  if (b === null || typeof b !== 'object' || typeof b.ctx !== 'string' || typeof dot[0] !== 'string' || typeof dot[1] !== 'number') {
    throw new RingkvError('UNAVAILABLE', 'malformed reply to a forwarded write');
  }
  return { context: decodeContext(b.ctx), record: recordFromWire(b.rec), dot: { actor: dot[0], counter: dot[1] } };
}

export function encodeForwardReply(result: WriteResult): CoordPutReply {
  return { ctx: encodeContext(result.context), rec: recordToWire(result.record), dot: [result.dot.actor, result.dot.counter] };
}
