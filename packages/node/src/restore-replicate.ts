/**
 * Writes a restore batch into the cluster the way replication and read repair
 * do: each record is *merged* into every replica of its key (the sloppy list,
 * so a down primary's share goes to a fallback with a hint), never written
 * over what is there. A replica holding a newer version keeps it; a concurrent
 * one stays a sibling. A key counts as restored when W replicas acknowledged.
 */
import { partitionOfKey, type KvRecord, type ReplicaTarget } from '@ringkv/core';
import type { RestoreEntry } from './restore-batch.js';
import type { RingkvNode } from './ringkv-node.js';

export interface RestoreFailure {
  /** position of the entry in the request */
  readonly index: number;
  readonly acks: number;
  readonly error: string;
}

/** The JSON answer of POST /admin/restore. */
export interface RestoreOutcome {
  readonly entries: number;
  /** entries acknowledged by at least `w` replicas */
  readonly restored: number;
  readonly w: number;
  readonly failed: readonly RestoreFailure[];
}

interface Item {
  readonly index: number;
  readonly p: number;
  readonly k: Uint8Array;
  readonly rec: KvRecord;
}

/** One target's share of the batch: a replica's own data, or the hinted copies a fallback keeps for one primary. */
interface Share {
  readonly target: ReplicaTarget;
  readonly items: Item[];
}

/** A whole batch is one RPC per replica, so it may take longer than one client request. */
const batchTimeoutFactor = 5;

export async function replicateRestoreBatch(node: RingkvNode, entries: readonly RestoreEntry[], w: number): Promise<RestoreOutcome> {
  const { partitionCount } = node.view.params;
  const shares = new Map<string, Share>();
  entries.forEach(({ key, record }, index) => {
    const p = partitionOfKey(key, partitionCount);
    for (const target of node.coordinator.targetsFor(p)) {
      const id = `${target.node}|${target.hintFor ?? ''}`;
      let share = shares.get(id);
      if (share === undefined) shares.set(id, (share = { target, items: [] }));
      share.items.push({ index, p, k: key, rec: record });
    }
  });
  const acks = new Array<number>(entries.length).fill(0);
  const errors = new Array<string>(entries.length).fill('no replica reachable');
  const timeoutMs = node.deps.requestTimeoutMs * batchTimeoutFactor;
  await Promise.all(
    [...shares.values()].map(async (share) => {
      const results = await sendShare(node, share, timeoutMs);
      share.items.forEach((item, i) => {
        const r = results[i];
        if (r === undefined || r === true) acks[item.index] = (acks[item.index] ?? 0) + 1;
        else errors[item.index] = `${share.target.node}: ${r}`;
      });
    }),
  );
  const failed: RestoreFailure[] = [];
  acks.forEach((n, index) => {
    if (n < w) failed.push({ index, acks: n, error: `${n} of ${w} acknowledgements; last failure: ${errors[index] ?? '?'}` });
  });
  return { entries: entries.length, restored: entries.length - failed.length, w, failed };
}

/** Per item: true, or why it failed. A remote replica's own share goes as one replica.put-batch: all or nothing. */
async function sendShare(node: RingkvNode, share: Share, timeoutMs: number): Promise<(true | string)[]> {
  const { target, items } = share;
  const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  if (target.hintFor === undefined && target.node !== node.view.self.id) {
    try {
      await node.peers.putBatch(target.node, items, timeoutMs);
      return items.map(() => true);
    } catch (err) {
      return items.map(() => why(err));
    }
  }
  // Our own copy, or hinted copies (kept per key): one merge per item.
  const settled = await Promise.allSettled(items.map((i) => node.peers.put(target, i.p, i.k, i.rec, timeoutMs)));
  return settled.map((s) => (s.status === 'fulfilled' ? true : why(s.reason)));
}
