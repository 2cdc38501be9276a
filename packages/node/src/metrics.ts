import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TopK, type Health } from '@ringkv/core';
import { LevelStore } from '@ringkv/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RingkvNode } from './ringkv-node.js';
import { SiblingHeavyKeys, type SiblingHeavyKey } from './sibling-heavy-keys.js';

export type HttpOp = 'get' | 'put' | 'delete' | 'other';

export interface HotKey {
  readonly key: string;
  readonly count: number;
}

export interface NodeMetricsOptions {
  /** the node's LevelDB directory; its size on disk is exported when given */
  readonly dataDir?: string;
  /** how many keys the hot-keys sketch tracks (default 64) */
  readonly hotKeysCapacity?: number;
}

// One label object per op, not one per observation.
const getLabels = { op: 'get' } as const;
const putLabels = { op: 'put' } as const;

/** How many hot keys /status and /metrics show. */
export const hotKeysShown = 10;

const healthStates: readonly Health[] = ['alive', 'suspect', 'dead'];

/**
 * One node's Prometheus metrics, in a registry of its own (several nodes may
 * share a process), plus the hot-keys sketch. Request metrics are recorded by
 * `onResponse`; everything else is read from the node's stats at scrape time.
 * Keys appear here only as hot-key labels, never in logs.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly hotKeys: TopK;
  private readonly siblingHeavyKeys = new SiblingHeavyKeys();
  private readonly requests: Counter<'op' | 'status'>;
  private readonly duration: Histogram<'op'>;
  private readonly siblings: Histogram<'op'>;

  constructor(
    readonly node: RingkvNode,
    options: NodeMetricsOptions = {},
  ) {
    const register = this.registry;
    this.hotKeys = new TopK(options.hotKeysCapacity ?? 64);
    collectDefaultMetrics({ register });

    this.requests = new Counter({
      name: 'ringkv_http_requests_total',
      help: 'HTTP requests answered, by operation and status code',
      labelNames: ['op', 'status'] as const,
      registers: [register],
    });
    this.duration = new Histogram({
      name: 'ringkv_http_request_duration_seconds',
      help: 'HTTP request latency from arrival to response, by operation',
      labelNames: ['op'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [register],
    });

    // Riak's node_get_fsm_siblings, for GETs and PUTs: a key whose writers do not send each other's
    // context grows a sibling per write, and every later write of it rewrites them all on N replicas.
    this.siblings = new Histogram({
      name: 'ringkv_kv_siblings',
      help: 'values (siblings) the key held after each GET this node answered and each PUT it accepted; many means concurrent writers that did not send the context of each other\'s writes',
      labelNames: ['op'] as const,
      buckets: [1, 2, 3, 5, 10, 25, 50, 100],
      registers: [register],
    });

    // Monotonic stats the node already keeps, exported as counters read at scrape time.
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers: [register],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Gauge({
        name,
        help,
        registers: [register],
        async collect() {
          this.set(await read());
        },
      });
    };
    const { coordinator: co, replica, handoff, antiEntropy: ae, gc, ownership } = node;
    counter('ringkv_coordinator_gets_total', 'GETs coordinated by this node', () => co.stats.gets);
    counter('ringkv_coordinator_writes_total', 'PUTs and DELETEs coordinated by this node', () => co.stats.writes);
    counter('ringkv_coordinator_forwarded_total', 'writes forwarded to a replica of the key', () => co.stats.forwarded);
    counter('ringkv_quorum_failures_total', 'requests that could not reach their R/W/PR/PW quorum', () => co.stats.quorumFailures);
    counter('ringkv_read_repairs_total', 'read repairs sent to stale replicas', () => co.stats.readRepairs);
    counter('ringkv_sloppy_quorum_fallbacks_total', 'writes that used a fallback node (sloppy quorum)', () => co.stats.fallbacksUsed);
    counter('ringkv_replica_merges_total', 'records merged into the local store', () => replica.stats.merges);
    counter('ringkv_replica_merges_changed_total', 'merges that changed the stored record', () => replica.stats.mergesChanged);
    counter('ringkv_hints_stored_total', 'hinted records stored for an unreachable replica', () => replica.stats.hintsStored);
    counter('ringkv_hints_delivered_total', 'hinted records delivered to their primary', () => handoff.stats.delivered);
    counter('ringkv_hint_delivery_failed_batches_total', 'hint batches whose delivery failed', () => handoff.stats.failedBatches);
    counter('ringkv_anti_entropy_exchanges_total', 'Merkle-tree exchanges completed', () => ae.stats.exchanges);
    counter('ringkv_anti_entropy_exchanges_failed_total', 'Merkle-tree exchanges that failed', () => ae.stats.exchangesFailed);
    counter('ringkv_anti_entropy_keys_repaired_total', 'keys repaired by anti-entropy', () => ae.stats.keysRepaired);
    counter('ringkv_anti_entropy_bytes_sent_total', 'bytes sent in anti-entropy exchanges', () => ae.stats.bytesSent);
    counter('ringkv_anti_entropy_bytes_received_total', 'bytes received in anti-entropy exchanges', () => ae.stats.bytesReceived);
    counter('ringkv_tombstones_reaped_total', 'tombstones garbage-collected', () => gc.stats.reaped);
    counter('ringkv_tombstone_gc_blocked_by_hints_total', 'tombstone collections postponed by pending hints', () => gc.stats.blockedByHints);
    counter(
      'ringkv_local_stopped_seconds_total',
      'time this node ran past its own gossip deadlines (stopped, GC-paused or starved of CPU); the failure detector does not count it as peers\' silence',
      () => node.gossip.stats.stoppedMs / 1000,
    );
    counter('ringkv_local_pauses_total', 'spans longer than a gossip round in which this node was stopped (see the warning in its log)', () => node.gossip.stats.longPauses);
    const corrupt = node.corruptRecords.stats;
    counter('ringkv_corrupt_records_total', 'stored records that failed their checksum: refused, then repaired from the other replicas', () => corrupt.records);
    counter('ringkv_corrupt_hints_total', 'stored hinted copies that failed their checksum (dropped; anti-entropy covers their data)', () => corrupt.hints);
    counter('ringkv_corrupt_keys_repaired_total', 'corrupt records replaced by what the other replicas hold', () => corrupt.keysRepaired);
    counter('ringkv_actor_renewals_total', 'new version-actor generations taken because a corrupt copy may have held this node\'s dots', () => replica.stats.actorsRenewed);
    counter('ringkv_ownership_transfers_total', 'partition ownership transfers completed', () => ownership.totals.transfersDone);
    counter('ringkv_ownership_keys_sent_total', 'keys sent by ownership handoff', () => ownership.totals.keysSent);
    counter('ringkv_ownership_bytes_sent_total', 'bytes sent by ownership handoff', () => ownership.totals.bytesSent);
    counter('ringkv_ownership_partitions_dropped_total', 'partitions dropped after handing them off', () => ownership.totals.partitionsDropped);
    // Group commit at work: writes joined into fewer LevelDB batches (one log record and thread-pool hop each).
    // Only a LevelStore groups writes (the simulator's memory store has nothing to report).
    const store = node.deps.store.store;
    if (store instanceof LevelStore) {
      counter('ringkv_store_writes_total', 'atomic writes to the local store (replica writes, hints, metadata)', () => store.writeStats.writes);
      counter('ringkv_store_batches_total', 'LevelDB batches those writes were grouped into (group commit)', () => store.writeStats.batches);
      counter('ringkv_store_synced_batches_total', 'of those batches, the ones fsynced (--sync, ?dw, metadata)', () => store.writeStats.syncedBatches);
      counter(
        'ringkv_store_full_refusals_total',
        'batches LevelDB refused because the disk was full; from the first on it refuses every write until the node restarts with space freed',
        () => store.writeStats.refusedFull,
      );
      counter(
        'ringkv_store_damaged_refusals_total',
        'batches LevelDB refused after it read a damaged table block; from the first on it refuses every write until `ringkv repair-store` has run on the stopped node',
        () => store.writeStats.refusedDamaged,
      );
    }
    gauge('ringkv_ownership_transfers_active', 'partition transfers in progress', () => ownership.active.size);
    gauge('ringkv_tombstones_pending_gc', 'tombstones waiting to be collected', () => gc.pending);
    gauge('ringkv_recovery_active', '1 while this node recovers a wiped store from its fellows', () => (node.recovery.active ? 1 : 0));
    gauge('ringkv_partitions_owned', 'partitions this node owns in the target ring', () => node.view.partitionsOwnedBySelf());

    new Gauge({
      name: 'ringkv_members',
      help: 'members of the cluster as this node sees them, by health state',
      labelNames: ['state'] as const,
      registers: [register],
      collect() {
        const counts = new Map<Health, number>(healthStates.map((s) => [s, 0]));
        for (const m of node.membership.snapshot(node.deps.clock.now())) counts.set(m.health, (counts.get(m.health) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'ringkv_hints_pending',
      help: 'hinted records waiting for delivery, by target node',
      labelNames: ['target'] as const,
      registers: [register],
      async collect() {
        const pending = await handoff.pendingByTarget();
        this.reset();
        for (const [target, n] of Object.entries(pending)) this.set({ target }, n);
      },
    });
    const hot = this.hotKeys;
    new Gauge({
      name: 'ringkv_hot_key_requests',
      help: `estimated requests for the ${hotKeysShown} most requested keys (Space-Saving sketch; an overestimate by at most its error)`,
      labelNames: ['key'] as const,
      registers: [register],
      collect() {
        this.reset();
        for (const { key, count } of hot.top(hotKeysShown)) this.set({ key }, count);
      },
    });
    const { dataDir } = options;
    if (dataDir !== undefined) gauge('ringkv_leveldb_size_bytes', 'size of the LevelDB directory on disk', () => dirBytes(dataDir));
  }

  /** The `n` most requested keys (GET/PUT/DELETE on /kv/…), most requested first. */
  topKeys(n = hotKeysShown): HotKey[] {
    return this.hotKeys.top(n).map(({ key, count }) => ({ key, count }));
  }

  /** A fastify `onResponse` hook: request count, latency and the hot-keys sketch. */
  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    this.observe(request, reply);
    done();
  };

  private observe(request: FastifyRequest, reply: FastifyReply): void {
    const path = (request.raw.url ?? request.url).split('?')[0] ?? '';
    const op = opOf(request.method, path);
    const status = reply.statusCode;
    this.requests.inc({ op, status: String(status) });
    this.duration.observe({ op }, reply.elapsedTime / 1000);
    // Refused requests (bad key, bad parameters, too large) are not counted as demand for a key.
    if (op !== 'other' && status !== 400 && status !== 413) {
      const key = keyOfPath(path);
      if (key !== undefined) this.hotKeys.offer(key);
    }
  };

  /** A GET answered (or a PUT accepted) `count` live versions of `key` (UTF-8, decoded only when the list needs it). */
  observeSiblings(op: 'get' | 'put', count: number, key: Uint8Array): void {
    this.siblings.observe(op === 'get' ? getLabels : putLabels, count);
    this.siblingHeavyKeys.observe(count, key);
  }

  /** After a DELETE, or a GET that found nothing: `key` holds `count` live values (the list only, not the histogram). */
  observeHeld(count: number, key: Uint8Array): void {
    this.siblingHeavyKeys.observe(count, key);
  }

  /** Keys last seen with 25 siblings or more (Riak's warning threshold), most first. */
  topSiblingKeys(): SiblingHeavyKey[] {
    return this.siblingHeavyKeys.top();
  }

  /** The body and content type of GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function opOf(method: string, path: string): HttpOp {
  if (!path.startsWith('/kv/')) return 'other';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'put';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

/** The key of a /kv/ path, decoded as the kv routes decode it; undefined where they refuse it. */
function keyOfPath(path: string): string | undefined {
  const raw = path.slice('/kv/'.length);
  if (raw.length === 0 || raw.includes('/')) return undefined;
  try {
    const key = decodeURIComponent(raw);
    return key.isWellFormed() ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Total size of the regular files in a (flat, LevelDB) directory. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    total += await stat(join(dir, e.name)).then((s) => s.size, () => 0);
  }
  return total;
}
