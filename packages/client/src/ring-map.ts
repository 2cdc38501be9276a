import { partitionOfKey } from '@ringkv/core';

/** A member as a client sees it in GET /ring. */
export interface RingNode {
  /** `host:port` of its HTTP API */
  readonly http: string;
  /** the answering node's failure detector says it is up */
  readonly up: boolean;
}

/**
 * What a client keeps of GET /ring: enough to find a key's replicas without
 * asking a node. `partitions[p]` lists partition p's N primaries in preference
 * order, exactly as the answering node's ClusterView has them.
 */
export interface RingMap {
  readonly epoch: number;
  readonly partitionCount: number;
  readonly n: number;
  readonly nodes: ReadonlyMap<string, RingNode>;
  readonly partitions: readonly (readonly string[])[];
}

export type RouteKind = 'read' | 'write';

export interface Route {
  /** node ids to try, best first */
  readonly targets: readonly string[];
  /** a replica of the key is missing from `nodes`: the map is stale and worth refreshing */
  readonly unknownReplica: boolean;
}

/**
 * Where a request on a key should go (Dynamo's client-driven coordination).
 *
 * - Writes go to the key's first up primary: a primary coordinates without
 *   forwarding, and one stable coordinator per key keeps its version vector
 *   short and its writes ordered by that node's per-key lock.
 * - Reads rotate over the up replicas (`turn`), spreading the load; any
 *   replica answers from its own copy plus R-1 others.
 * - After the up replicas come the other up members (rotated), which still
 *   coordinate the key (forwarding writes), and last the replicas that are
 *   down or `avoid`ed, in case the failure detectors are wrong.
 *
 * Pure: same inputs, same answer.
 */
export function routeKey(ring: RingMap, key: Uint8Array, kind: RouteKind, turn: number, avoid: ReadonlySet<string> = new Set()): Route {
  const partition = partitionOfKey(key, ring.partitionCount);
  const replicas = ring.partitions[partition] ?? [];
  const usable = (id: string): boolean => ring.nodes.get(id)?.up === true && !avoid.has(id);
  const live = replicas.filter(usable);
  const first = kind === 'write' ? live : rotate(live, turn);
  const others = rotate(
    [...ring.nodes.keys()].filter((id) => !replicas.includes(id) && usable(id)),
    turn,
  );
  const lastResort = replicas.filter((id) => ring.nodes.has(id) && !usable(id));
  return {
    targets: [...first, ...others, ...lastResort],
    unknownReplica: replicas.some((id) => !ring.nodes.has(id)),
  };
}

function rotate<T>(list: readonly T[], turn: number): T[] {
  if (list.length === 0) return [];
  const k = ((turn % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * Reads the JSON of GET /ring. Throws on anything that does not have its
 * shape: a half-understood map would route keys to the wrong nodes, while no
 * map just means sending requests to any node.
 */
export function readRing(body: unknown): RingMap {
  if (typeof body !== 'object' || body === null) throw new TypeError('not a JSON object');
  const b = body as Record<string, unknown>;
  const { epoch, partitionCount, n, hash } = b;
  if (hash !== 'md5') throw new TypeError(`unknown key hash ${JSON.stringify(hash)}`);
  if (!isCount(epoch) || !isCount(partitionCount) || partitionCount === 0 || !isCount(n)) {
    throw new TypeError('epoch, partitionCount or n is not a whole number');
  }
  if (typeof b.nodes !== 'object' || b.nodes === null) throw new TypeError('nodes is not an object');
  const nodes = new Map<string, RingNode>();
  for (const [id, raw] of Object.entries(b.nodes as Record<string, unknown>)) {
    const m = raw as { http?: unknown; state?: unknown } | null;
    if (typeof m?.http !== 'string' || m.http === '') throw new TypeError(`node ${id} has no http address`);
    nodes.set(id, { http: m.http, up: m.state === 'up' });
  }
  const partitions = b.partitions;
  if (!Array.isArray(partitions) || partitions.length !== partitionCount) {
    throw new TypeError(`partitions does not list ${partitionCount} partitions`);
  }
  for (const list of partitions as unknown[]) {
    if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) throw new TypeError('a partition is not a list of node ids');
  }
  return { epoch, partitionCount, n, nodes, partitions: partitions as string[][] };
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
