import {
  counterDeltaAbsMax,
  counterKeyPrefix,
  isValidNodeId,
  parseMemberInfo,
  recordFromWire,
  ringStateFromWire,
  ttlSecondsMax,
  type GossipEntry,
  type KvRecord,
  type RingState,
} from '@ringkv/core';

/**
 * The catalogue of inter-node operations and their bodies. Bodies arrive from
 * the network, so each parser validates the shape and returns undefined on
 * anything unexpected (record parsing throws RecordFormatError); the handler
 * answers BAD_REQUEST.
 */
export const RPC_OPS = {
  replicaGet: 'replica.get',
  replicaPut: 'replica.put',
  replicaPutBatch: 'replica.put-batch',
  coordPut: 'coord.put',
  coordIncr: 'coord.incr',
  membersExchange: 'members.exchange',
  ringVersion: 'ring.version',
} as const;

export interface ReplicaGetBody {
  readonly p: number;
  readonly k: Uint8Array;
  /** set when asking a fallback for the copy it keeps for primary `h` */
  readonly h?: string;
  /** the asking coordinator's committed ring epoch (absent: 0) */
  readonly e?: number;
  /**
   * Answer with the record's stored bytes (`raw`) instead of its wire form
   * (`rec`): the asker compares them with its own copy's bytes and decodes
   * only when they differ. Older nodes ignore it and answer `rec`.
   */
  readonly raw?: true;
  /**
   * Asked by a replica repairing a damaged copy: answer with whatever is held
   * even while recovering or no longer a replica — the asker merges every
   * answer, so a partial copy adds what it has and hides nothing (a quorum
   * read, which counts answers, must not get one). Without it, a damaged
   * copy and a recovering replica of one key would wait for each other.
   */
  readonly repair?: true;
}

export interface ReplicaPutBody {
  readonly p: number;
  readonly k: Uint8Array;
  readonly rec: KvRecord;
  /** set when the receiver is a fallback keeping the copy for primary `h` */
  readonly h?: string;
  /** true: fsync before answering (the client's ?dw), whatever the receiver's --sync */
  readonly s?: boolean;
}

export interface ReplicaPutBatchBody {
  readonly items: readonly { readonly p: number; readonly k: Uint8Array; readonly rec: KvRecord }[];
}

/** A client write forwarded to a node that holds the key. */
export interface CoordPutBody {
  readonly k: Uint8Array;
  /** null = delete */
  readonly v: Uint8Array | null;
  readonly ct: string;
  /** the client's X-Context header ('' when absent), already validated by the forwarder */
  readonly ctx: string;
  readonly w: number;
  readonly pw: number;
  /** acks that must be fsynced (?dw); absent from nodes that predate it, meaning 0 */
  readonly dw?: number;
  /** request id: the receiver applies a write delivered twice only once */
  readonly rid: string;
  /** PUT ?ttl in ms, when given: the coordinator stamps the deadline by its own clock */
  readonly ttl?: number;
}

/** A counter increment forwarded to a node that holds the key. */
export interface CoordIncrBody {
  /** the internal counter key */
  readonly k: Uint8Array;
  /** the delta, a safe integer within ±counterDeltaAbsMax */
  readonly d: number;
  /** window length in ms when the increment may start a window */
  readonly ttl?: number;
  readonly w: number;
  readonly pw: number;
  /** acks that must be fsynced (?dw); absent from nodes that predate it, meaning 0 */
  readonly dw?: number;
  /** request id: an increment delivered twice is applied once */
  readonly rid: string;
}

export interface MembersExchangeBody {
  readonly entries: readonly GossipEntry[];
  /** the sender's committed ring state, when it has one (epoch ≥ 1) */
  readonly ring?: RingState;
}

export const putBatchCountMax = 1000;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPartition = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 65536;
const isKey = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length >= 1 && x.length <= 1024;
const isNodeId = (x: unknown): x is string => typeof x === 'string' && isValidNodeId(x);
const isQuorum = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 16;
const isOptionalQuorum = (x: unknown): x is number | undefined => x === undefined || isQuorum(x);
/** A forwarded ?ttl, in ms: absent, or 1 ms up to the longest TTL a client may ask for. */
const isOptionalTtlMs = (x: unknown): x is number | undefined => x === undefined || (typeof x === 'number' && Number.isSafeInteger(x) && x >= 1 && x <= ttlSecondsMax * 1000);

export function parseReplicaGet(x: unknown): ReplicaGetBody | undefined {
  if (!isObj(x) || !isPartition(x.p) || !isKey(x.k)) return undefined;
  if (x.h !== undefined && !isNodeId(x.h)) return undefined;
  if (x.e !== undefined && !(typeof x.e === 'number' && Number.isSafeInteger(x.e) && x.e >= 0)) return undefined;
  return { p: x.p, k: x.k, ...(x.h !== undefined ? { h: x.h } : {}), ...(x.e !== undefined ? { e: x.e } : {}), ...(x.raw === true ? { raw: true as const } : {}), ...(x.repair === true ? { repair: true as const } : {}) };
}

export function parseReplicaPut(x: unknown): ReplicaPutBody | undefined {
  if (!isObj(x) || !isPartition(x.p) || !isKey(x.k)) return undefined;
  if (x.h !== undefined && !isNodeId(x.h)) return undefined;
  if (x.s !== undefined && typeof x.s !== 'boolean') return undefined;
  return { p: x.p, k: x.k, rec: recordFromWire(x.rec), ...(x.h !== undefined ? { h: x.h } : {}), ...(x.s === true ? { s: true } : {}) };
}

export function parseReplicaPutBatch(x: unknown): ReplicaPutBatchBody | undefined {
  if (!isObj(x) || !Array.isArray(x.items) || x.items.length > putBatchCountMax) return undefined;
  const items: { p: number; k: Uint8Array; rec: KvRecord }[] = [];
  for (const i of x.items) {
    if (!isObj(i) || !isPartition(i.p) || !isKey(i.k)) return undefined;
    items.push({ p: i.p, k: i.k, rec: recordFromWire(i.rec) });
  }
  return { items };
}

export function parseCoordPut(x: unknown): CoordPutBody | undefined {
  if (!isObj(x) || !isKey(x.k)) return undefined;
  const { v, ct, ctx, w, pw, rid } = x;
  if (typeof rid !== 'string' || rid.length < 1 || rid.length > 64) return undefined;
  if (!(v === null || v instanceof Uint8Array)) return undefined;
  if (typeof ct !== 'string' || ct.length > 256) return undefined;
  if (typeof ctx !== 'string' || ctx.length > 65536) return undefined;
  if (!isQuorum(w) || w < 1 || !isQuorum(pw)) return undefined;
  const dw = x.dw;
  if (!isOptionalQuorum(dw)) return undefined;
  const ttl = x.ttl;
  if (!isOptionalTtlMs(ttl)) return undefined;
  return { k: x.k, v, ct, ctx, w, pw, rid, ...(dw !== undefined && dw > 0 && { dw }), ...(ttl !== undefined && { ttl }) };
}

export function parseCoordIncr(x: unknown): CoordIncrBody | undefined {
  if (!isObj(x) || !isKey(x.k) || x.k[0] !== counterKeyPrefix) return undefined;
  const { d, ttl, w, pw, rid } = x;
  if (typeof rid !== 'string' || rid.length < 1 || rid.length > 64) return undefined;
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || Math.abs(d) > counterDeltaAbsMax) return undefined;
  if (!isOptionalTtlMs(ttl)) return undefined;
  if (!isQuorum(w) || w < 1 || !isQuorum(pw)) return undefined;
  const dw = x.dw;
  if (!isOptionalQuorum(dw)) return undefined;
  return { k: x.k, d, w, pw, rid, ...(dw !== undefined && dw > 0 && { dw }), ...(ttl !== undefined && { ttl }) };
}

export function parseMembersExchange(x: unknown): MembersExchangeBody | undefined {
  if (!isObj(x) || !Array.isArray(x.entries) || x.entries.length > 4096) return undefined;
  const entries: GossipEntry[] = [];
  for (const e of x.entries) {
    if (!isObj(e)) return undefined;
    const info = parseMemberInfo(e.info);
    const hb = e.heartbeat;
    if (info === undefined || typeof hb !== 'number' || !Number.isSafeInteger(hb) || hb < 0) return undefined;
    entries.push({ info, heartbeat: hb });
  }
  if (x.ring === undefined || x.ring === null) return { entries };
  const ring = ringStateFromWire(x.ring);
  return ring === undefined ? undefined : { entries, ring };
}
