import { parseMemberInfo, recordFromWire, type KvRecord, type MemberInfo } from '@ringkv/core';

/**
 * The catalogue of inter-node operations and their bodies. Bodies arrive from
 * the network, so each parser validates the shape and returns undefined on
 * anything unexpected; the caller answers BAD_REQUEST.
 */
export const RPC_OPS = {
  replicaGet: 'replica.get',
  replicaPut: 'replica.put',
  coordPut: 'coord.put',
  membersExchange: 'members.exchange',
} as const;

export interface ReplicaGetBody {
  readonly p: number;
  readonly k: Uint8Array;
}

export interface ReplicaPutBody {
  readonly p: number;
  readonly k: Uint8Array;
  readonly rec: KvRecord;
}

/** A client write forwarded to a node that is a replica of the key. */
export interface CoordPutBody {
  readonly k: Uint8Array;
  /** null = delete */
  readonly v: Uint8Array | null;
  readonly ct: string;
  /** the client's X-Context header ('' when absent), already validated by the forwarder */
  readonly ctx: string;
  readonly w: number;
}

export interface MembersExchangeBody {
  readonly members: readonly MemberInfo[];
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPartition = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 65536;
const isKey = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length >= 1 && x.length <= 1024;

export function parseReplicaGet(x: unknown): ReplicaGetBody | undefined {
  if (!isObj(x) || !isPartition(x.p) || !isKey(x.k)) return undefined;
  return { p: x.p, k: x.k };
}

export function parseReplicaPut(x: unknown): ReplicaPutBody | undefined {
  if (!isObj(x) || !isPartition(x.p) || !isKey(x.k)) return undefined;
  // recordFromWire validates every field and throws RecordFormatError.
  return { p: x.p, k: x.k, rec: recordFromWire(x.rec) };
}

export function parseCoordPut(x: unknown): CoordPutBody | undefined {
  if (!isObj(x) || !isKey(x.k)) return undefined;
  const { v, ct, ctx, w } = x;
  if (!(v === null || v instanceof Uint8Array)) return undefined;
  if (typeof ct !== 'string' || ct.length > 256) return undefined;
  if (typeof ctx !== 'string' || ctx.length > 65536) return undefined;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 16) return undefined;
  return { k: x.k, v, ct, ctx, w };
}

export function parseMembersExchange(x: unknown): MembersExchangeBody | undefined {
  if (!isObj(x) || !Array.isArray(x.members) || x.members.length > 4096) return undefined;
  const members: MemberInfo[] = [];
  for (const m of x.members) {
    const info = parseMemberInfo(m);
    if (info === undefined) return undefined;
    members.push(info);
  }
  return { members };
}
