import { decodeRecord, recordFromWire, recordToWire, type KvRecord, type ReplicaTarget, type Transport } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import type { ReplicaService } from './replica-service.js';
import { RPC_OPS, type CoordIncrBody, type CoordPutBody } from './rpc-ops.js';

/**
 * A replica's copy of a key as a read got it: the record, and the bytes it is
 * stored as when they came along (a replica's own data; not a hinted copy,
 * nor an answer from a node that predates them). Equal bytes are equal
 * records, so a second copy with the same bytes is not decoded again.
 */
export interface StoredCopy {
  readonly rec: KvRecord | undefined;
  readonly bytes?: Uint8Array;
}

/**
 * Replica operations addressed to a node by id: done in-process when the node
 * is this one, over RPC otherwise. A target with `hintFor` is a fallback: it
 * keeps (or is asked for) the hinted copy, not its own data.
 */
export class ReplicaClient {
  constructor(
    private readonly view: ClusterView,
    private readonly transport: Transport,
    private readonly replica: ReplicaService,
  ) {}

  /**
   * Reads a replica's copy; `known` is another copy of the same key, reused
   * when the bytes match. `forRepair`: whatever it holds, even while it recovers
   * (for the repair of a damaged copy, which merges every answer).
   */
  async get(t: ReplicaTarget, partition: number, key: Uint8Array, timeoutMs: number, known?: StoredCopy, forRepair = false): Promise<StoredCopy> {
    if (t.node === this.view.self.id) {
      if (t.hintFor !== undefined) return { rec: (await this.replica.readHint(partition, key))?.record };
      const bytes = await this.replica.readBytes(partition, key);
      return bytes === undefined ? { rec: undefined } : { rec: decodeRecord(bytes), bytes };
    }
    const epoch = this.view.ringState.epoch;
    const ask = { p: partition, k: key, ...(t.hintFor ? { h: t.hintFor } : { raw: true }), ...(epoch > 0 ? { e: epoch } : {}), ...(forRepair ? { repair: true } : {}) };
    const body = (await this.call(t.node, RPC_OPS.replicaGet, ask, timeoutMs)) as { rec?: unknown; raw?: unknown } | null;
    if (body !== null && typeof body === 'object' && 'raw' in body) {
      const raw = body.raw;
      if (raw === null) return { rec: undefined };
      if (!(raw instanceof Uint8Array)) throw new Error(`${t.node}: replica read answered something other than record bytes`);
      if (known?.bytes !== undefined && Buffer.compare(raw, known.bytes) === 0) return known;
      // Decoding validates: bytes from another node are checked like any record off the wire.
      return { rec: decodeRecord(raw), bytes: raw };
    }
    const rec = body?.rec;
    return { rec: rec === null || rec === undefined ? undefined : recordFromWire(rec) };
  }

  /** `durable`: the replica fsyncs before it answers (?dw), whatever its --sync. */
  async put(t: ReplicaTarget, partition: number, key: Uint8Array, rec: KvRecord, timeoutMs: number, durable = false): Promise<void> {
    if (t.node === this.view.self.id) {
      if (t.hintFor === undefined) await this.replica.merge(partition, key, rec, durable);
      else await this.replica.mergeHint(partition, key, rec, t.hintFor, durable);
      return;
    }
    const body = { p: partition, k: key, rec: recordToWire(rec), ...(t.hintFor ? { h: t.hintFor } : {}), ...(durable ? { s: true } : {}) };
    await this.call(t.node, RPC_OPS.replicaPut, body, timeoutMs);
  }

  /** Hands a batch of records to their primary (hinted handoff). */
  async putBatch(node: string, items: readonly { p: number; k: Uint8Array; rec: KvRecord }[], timeoutMs: number): Promise<void> {
    await this.call(node, RPC_OPS.replicaPutBatch, { items: items.map((i) => ({ p: i.p, k: i.k, rec: recordToWire(i.rec) })) }, timeoutMs);
  }

  async coordPut(node: string, body: CoordPutBody, timeoutMs: number): Promise<unknown> {
    return this.call(node, RPC_OPS.coordPut, body, timeoutMs);
  }

  /** Forwards a counter increment (counter-forwarding.ts). */
  async coordIncrement(node: string, body: CoordIncrBody, timeoutMs: number): Promise<unknown> {
    return this.call(node, RPC_OPS.coordIncr, body, timeoutMs);
  }

  private async call(node: string, op: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const member = this.view.member(node);
    if (member === undefined) throw new Error(`unknown member ${node}`);
    const res = await this.transport.request(member.rpc, op, body, timeoutMs);
    if (!res.ok) throw new ReplicaRefusal(node, res.code, res.message);
    return res.body;
  }
}

/** A replica answered, with an error (its code as the RPC handler gave it: RECOVERING, CORRUPT_RECORD, …). */
export class ReplicaRefusal extends Error {
  constructor(
    readonly node: string,
    readonly code: string,
    detail: string,
  ) {
    super(`${node}: ${code} ${detail}`);
    this.name = 'ReplicaRefusal';
  }
}
