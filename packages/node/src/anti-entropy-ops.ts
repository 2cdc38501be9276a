import { isValidNodeId, recordFromWire, type Hash64, type KvRecord } from '@ringkv/core';

/** Inter-node operations of anti-entropy and their bodies (validated at the edge like every RPC body). */
export const AE_OPS = {
  top: 'ae.top',
  segments: 'ae.segments',
  entries: 'ae.entries',
  sync: 'ae.sync',
  /**
   * "Could you send the partition's old versions back?" — asked of every member
   * before tombstones are collected (tombstone-gc.ts): yes when the node holds
   * hints for it, or holds its data without being one of the asker's primaries
   * (an old owner still draining it, a stale coordinator's copy).
   */
  hintsAny: 'ae.hints-any',
} as const;

export const aeSyncCountMax = 500;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPartition = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 65536;
const isKey = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length >= 1 && x.length <= 1024;
const isIndexList = (x: unknown, max: number): x is number[] =>
  Array.isArray(x) && x.length <= max && x.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < max);

export function parsePartitionBody(x: unknown): { p: number } | undefined {
  return isObj(x) && isPartition(x.p) ? { p: x.p } : undefined;
}

const isNodeIdList = (x: unknown): x is string[] => Array.isArray(x) && x.length <= 64 && x.every((id) => typeof id === 'string' && isValidNodeId(id));

/** ae.hints-any: the partition and the asker's primaries of it (absent from older nodes: hints alone are asked about). */
export function parseStrayCopiesBody(x: unknown): { p: number; primaries?: string[] } | undefined {
  if (!isObj(x) || !isPartition(x.p)) return undefined;
  if (x.prim !== undefined && !isNodeIdList(x.prim)) return undefined;
  return x.prim === undefined ? { p: x.p } : { p: x.p, primaries: x.prim };
}

export function parseSegmentsBody(x: unknown): { p: number; groups: number[] } | undefined {
  return isObj(x) && isPartition(x.p) && isIndexList(x.groups, 16) ? { p: x.p, groups: x.groups } : undefined;
}

export function parseEntriesBody(x: unknown): { p: number; segments: number[] } | undefined {
  return isObj(x) && isPartition(x.p) && isIndexList(x.segments, 256) ? { p: x.p, segments: x.segments } : undefined;
}

export interface SyncBody {
  readonly p: number;
  readonly records: readonly { readonly k: Uint8Array; readonly rec: KvRecord }[];
  readonly want: readonly Uint8Array[];
}

export function parseSyncBody(x: unknown): SyncBody | undefined {
  if (!isObj(x) || !isPartition(x.p) || !Array.isArray(x.records) || !Array.isArray(x.want)) return undefined;
  if (x.records.length > aeSyncCountMax || x.want.length > aeSyncCountMax) return undefined;
  const records: { k: Uint8Array; rec: KvRecord }[] = [];
  for (const r of x.records) {
    if (!isObj(r) || !isKey(r.k)) return undefined;
    records.push({ k: r.k, rec: recordFromWire(r.rec) });
  }
  if (!x.want.every(isKey)) return undefined;
  return { p: x.p, records, want: x.want };
}

export function parseHashList(x: unknown, length: number): Hash64[] | undefined {
  if (!Array.isArray(x) || x.length !== length) return undefined;
  const out: Hash64[] = [];
  for (const h of x) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'number' || typeof h[1] !== 'number') return undefined;
    out.push([h[0] >>> 0, h[1] >>> 0]);
  }
  return out;
}
