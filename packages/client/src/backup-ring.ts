/**
 * The part of a node's GET /ring that backup and restore need: who holds
 * which partition, and where each node answers HTTP. Read defensively: a
 * ring that does not make sense stops the backup rather than skipping data.
 */
import type { Dispatcher } from 'undici';
import { normalizeNodeUrl } from './kv-answer.js';
import { fetchJson } from './backup-http.js';

export interface BackupRing {
  readonly epoch: number;
  readonly partitionCount: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** node id → HTTP base URL and state as the asked node sees it */
  readonly nodes: ReadonlyMap<string, { readonly url: string; readonly state: string }>;
  /** partitions[p]: the ids of p's N primaries */
  readonly partitions: readonly (readonly string[])[];
  /** partitions whose replicas are changing right now */
  readonly transferring: readonly number[];
  /** the node that answered */
  readonly from: string;
}

/** Asks each URL in turn; the first that answers gives the ring. */
export async function fetchRing(urls: readonly string[], dispatcher: Dispatcher): Promise<BackupRing> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      return parseRing(await fetchJson(dispatcher, url, '/ring'), url);
    } catch (err) {
      failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`could not read the ring from any node (${failures.join('; ')})`);
}

export function parseRing(x: unknown, from: string): BackupRing {
  const o = x as Record<string, unknown> | null;
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof o !== 'object' || o === null) throw new Error('GET /ring: not a JSON object');
  const { epoch, partitionCount, n, r, w, nodes, partitions, transferring } = o;
  if (!isInt(epoch) || !isInt(partitionCount) || !isInt(n) || !isInt(r) || !isInt(w) || partitionCount === 0) {
    throw new Error('GET /ring: epoch, partitionCount, n, r, w must be integers');
  }
  if (typeof nodes !== 'object' || nodes === null || !Array.isArray(partitions) || partitions.length !== partitionCount) {
    throw new Error(`GET /ring: expected nodes and ${partitionCount} partitions`);
  }
  const nodeMap = new Map<string, { url: string; state: string }>();
  for (const [id, v] of Object.entries(nodes as Record<string, unknown>)) {
    const m = v as { http?: unknown; state?: unknown } | null;
    if (typeof m?.http !== 'string' || typeof m.state !== 'string') throw new Error(`GET /ring: node ${id} lacks http or state`);
    nodeMap.set(id, { url: normalizeNodeUrl(m.http), state: m.state });
  }
  const lists = (partitions as unknown[]).map((list, p) => {
    if (!Array.isArray(list) || list.length === 0 || !list.every((id) => typeof id === 'string' && nodeMap.has(id))) {
      throw new Error(`GET /ring: partition ${p} has no list of known nodes`);
    }
    return list as string[];
  });
  const moving = Array.isArray(transferring) ? transferring.filter(isInt) : [];
  return { epoch, partitionCount, n, r, w, nodes: nodeMap, partitions: lists, transferring: moving, from };
}
