import { recordFromWire, recordToWire, type KvRecord, type ReplicaTarget, type Transport } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import type { ReplicaService } from './replica-service.js';
import { RPC_OPS, type CoordIncrBody, type CoordPutBody } from './rpc-ops.js';

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

  async get(t: ReplicaTarget, partition: number, key: Uint8Array, timeoutMs: number): Promise<KvRecord | undefined> {
    if (t.node === this.view.self.id) {
      return t.hintFor === undefined ? this.replica.read(partition, key) : (await this.replica.readHint(partition, key))?.record;
    }
    const epoch = this.view.ringState.epoch;
    const body = await this.call(t.node, RPC_OPS.replicaGet, { p: partition, k: key, ...(t.hintFor ? { h: t.hintFor } : {}), ...(epoch > 0 ? { e: epoch } : {}) }, timeoutMs);
    const rec = (body as { rec?: unknown } | null)?.rec;
    return rec === null || rec === undefined ? undefined : recordFromWire(rec);
  }

  async put(t: ReplicaTarget, partition: number, key: Uint8Array, rec: KvRecord, timeoutMs: number): Promise<void> {
    if (t.node === this.view.self.id) {
      if (t.hintFor === undefined) await this.replica.merge(partition, key, rec);
      else await this.replica.mergeHint(partition, key, rec, t.hintFor);
      return;
    }
    await this.call(t.node, RPC_OPS.replicaPut, { p: partition, k: key, rec: recordToWire(rec), ...(t.hintFor ? { h: t.hintFor } : {}) }, timeoutMs);
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
    if (!res.ok) throw new Error(`${node}: ${res.code} ${res.message}`);
    return res.body;
  }
}
