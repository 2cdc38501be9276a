import { LevelStore } from '@ringkv/storage';
import type { TableReads } from '@ringkv/storage';
import type { NodeMetrics } from './metrics.js';
import type { RingkvNode } from './ringkv-node.js';

/** The JSON of GET /status: enough for an operator or an autoscaler to see this node's view at a glance. */
export async function buildStatus(node: RingkvNode, metrics?: NodeMetrics): Promise<Record<string, unknown>> {
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
    antiEntropy: antiEntropyStatus(node),
    // null when the store cannot be counted (a damaged LevelDB block: see the node's log)
    keysStored: await node.trees.countRecords().catch(() => null),
    recovering: { active: node.recovery.active, partitionsLeft: node.recovery.partitionsLeft },
    uptimeMs: node.deps.clock.now() - node.startedAt,
    requests: { ...node.coordinator.stats },
    replica: { ...node.replica.stats },
    /** how concurrent versions are settled: siblings everywhere but under these prefixes (LWW) */
    conflictPolicy: { default: 'siblings', lwwPrefixes: node.replica.lww.texts },
    expiryPurge: {
      ...node.expiryPurge.stats,
      lastRoundAt: node.expiryPurge.stats.lastRoundAt === 0 ? null : new Date(node.expiryPurge.stats.lastRoundAt).toISOString(),
      /** versions with a deadline still indexed (due or not): a scan of the index only */
      indexEntries: await node.deps.store.countExpiryEntries(),
    },
    store: storeStatus(node),
    /** stored copies found damaged (checksums) and what became of them; non-zero means a failing disk */
    corruption: { ...node.corruptRecords.stats },
    /** the most requested keys (Space-Saving estimates), most requested first */
    hotKeys: metrics?.topKeys() ?? [],
    /** keys last seen holding 25 siblings or more (Riak's warning threshold), most first: writers not sending each other's context */
    siblingHeavyKeys: metrics?.topSiblingKeys() ?? [],
  };
}

/**
 * The local store's write counters (LevelDB only). `diskFull`: a write was
 * refused for want of space, and LevelDB refuses every later one until the
 * node is restarted with space freed (meanwhile it hands its writes to other
 * replicas, so clients may not notice). `storeDamaged`: LevelDB stopped
 * taking writes after reading a damaged table block; only `ringkv
 * repair-store` on the stopped node ends it. `tableReads`: how LevelDB reads
 * its tables (`mmap` also when `pread` was asked for on a prebuilt LevelDB);
 * `mappedTableFiles`: the store's tables mapped into the process now (null
 * where /proc cannot tell), whose touched pages count in its RSS.
 */
export type StoreStatus = LevelStore['writeStats'] & {
  readonly diskFull: boolean;
  readonly storeDamaged: boolean;
  readonly tableReads: TableReads;
  readonly mappedTableFiles: number | null;
};

export function storeStatus(node: RingkvNode): StoreStatus | null {
  const store = node.deps.store.store;
  if (!(store instanceof LevelStore)) return null;
  const stats = store.writeStats;
  return {
    ...stats,
    diskFull: stats.refusedFull > 0,
    storeDamaged: stats.refusedDamaged > 0,
    tableReads: store.tableReads,
    mappedTableFiles: store.mappedTableFiles() ?? null,
  };
}

/** Anti-entropy and tombstone GC, per node and per replicated partition. */
function antiEntropyStatus(node: RingkvNode): Record<string, unknown> {
  const now = node.deps.clock.now();
  const { antiEntropy: ae, gc, trees, view } = node;
  const age = (t: number): number | null => (t === 0 ? null : now - t);
  const partitions = ae.partitionsReplicated().map((p) => {
    const fellows = view.preferenceList(p).filter((id) => id !== view.self.id);
    const lastFull = fellows.length === 0 ? now : Math.min(...fellows.map((f) => ae.lastFullExchange(p, f)));
    const mark = gc.safeMark(p);
    return {
      partition: p,
      lastFullExchangeAgeMs: age(lastFull),
      safeToCollectUpTo: mark === 0 ? null : new Date(mark).toISOString(),
      tombstonesPending: gc.pendingIn(p),
    };
  });
  return {
    treesBuilt: trees.builtCount,
    treesTotal: view.params.partitionCount,
    treesBuildMs: trees.buildFinishedAt === 0 ? null : trees.buildFinishedAt - trees.buildStartedAt,
    exchanges: ae.stats.exchanges,
    exchangesFailed: ae.stats.exchangesFailed,
    lastExchangeAt: ae.stats.lastExchangeAt === 0 ? null : new Date(ae.stats.lastExchangeAt).toISOString(),
    keysRepaired: ae.stats.keysRepaired,
    keysRepairedLastHour: ae.repairedLastHour(),
    bytesSent: ae.stats.bytesSent,
    bytesReceived: ae.stats.bytesReceived,
    tombstonesPendingGc: gc.pending,
    tombstonesReaped: gc.stats.reaped,
    gcBlockedByHints: gc.stats.blockedByHints,
    partitions,
  };
}
