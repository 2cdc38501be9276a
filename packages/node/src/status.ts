import type { RingkvNode } from './ringkv-node.js';

/** The JSON of GET /status: enough for an operator or an autoscaler to see this node's view at a glance. */
export async function buildStatus(node: RingkvNode): Promise<Record<string, unknown>> {
  const { view } = node;
  const owned = new Map<string, number>();
  for (const o of view.ring.owners) owned.set(o, (owned.get(o) ?? 0) + 1);
  return {
    id: view.self.id,
    http: view.self.http,
    rpc: view.self.rpc,
    actor: node.replica.actor,
    cluster: { n: view.params.n, r: view.params.r, w: view.params.w, partitions: view.params.partitionCount },
    members: [...view.members.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((m) => ({
        id: m.id,
        http: m.http,
        rpc: m.rpc,
        weight: m.weight,
        partitions: owned.get(m.id) ?? 0,
        state: node.membership.health(m.id, node.deps.clock.now()),
      })),
    health: node.membership.snapshot(node.deps.clock.now()),
    hintsPending: await node.handoff.pendingByTarget(),
    handoff: { ...node.handoff.stats },
    partitionsOwned: view.partitionsOwnedBySelf(),
    keysStored: await node.deps.store.countKeys(),
    uptimeMs: node.deps.clock.now() - node.startedAt,
    requests: { ...node.coordinator.stats },
    replica: { ...node.replica.stats },
  };
}
