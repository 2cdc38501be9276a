import type { Health } from '@ringkv/core';
import type { FastifyInstance } from 'fastify';
import type { RingkvNode } from './ringkv-node.js';

/** A member's state as GET /ring reports it: gossip's 'alive' is spelt 'up' for clients and consoles. */
export type RingNodeState = 'up' | 'suspect' | 'dead';

/**
 * The JSON of GET /ring: this node's view of who replicates each partition,
 * enough for a client to send a request straight to a replica of its key
 * (Dynamo's client-driven coordination) and for a console to draw the ring.
 */
export interface RingDocument {
  readonly epoch: number;
  readonly partitionCount: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** how keys map to partitions: the top bits of the key's MD5 (partitionOfKey in @ringkv/core) */
  readonly hash: 'md5';
  readonly nodes: Readonly<Record<string, { readonly http: string; readonly state: RingNodeState }>>;
  /** partitions[p]: the N primary replicas of partition p, in preference order */
  readonly partitions: readonly (readonly string[])[];
  /** partitions whose replicas are changing (a committed ring transfer is still under way) */
  readonly transferring: readonly number[];
}

const stateOf = (h: Health): RingNodeState => (h === 'alive' ? 'up' : h);

export function buildRingDocument(node: RingkvNode): RingDocument {
  const { view } = node;
  const now = node.deps.clock.now();
  const nodes: Record<string, { http: string; state: RingNodeState }> = {};
  for (const m of [...view.members.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    nodes[m.id] = { http: m.http, state: stateOf(node.membership.health(m.id, now)) };
  }
  const partitions: (readonly string[])[] = [];
  const transferring: number[] = [];
  for (let p = 0; p < view.params.partitionCount; p++) {
    partitions.push(view.preferenceList(p));
    if (view.transferring(p)) transferring.push(p);
  }
  return {
    epoch: view.ringState.epoch,
    partitionCount: view.params.partitionCount,
    n: view.params.n,
    r: view.params.r,
    w: view.params.w,
    hash: 'md5',
    nodes,
    partitions,
    transferring,
  };
}

/** GET /ring on every node; cheap (no I/O), so clients may poll it every few seconds. */
export function registerRingRoutes(app: FastifyInstance, node: RingkvNode): void {
  app.get('/ring', async () => buildRingDocument(node));
}
