/** One member of the cluster as one node sees it. */
export interface MemberStatus {
  readonly id: string;
  readonly httpAddress?: string;
  readonly rpcAddress?: string;
  /** alive, suspect, dead, … as the node reports it */
  readonly state?: string;
  readonly partitionsOwned?: number;
}

/**
 * A node's `GET /status`, read leniently: every field the server may name in
 * more than one way is looked up under each name, so the CLI and the cluster
 * tools keep working while the server's status grows. `raw` is the JSON as sent.
 */
export interface NodeStatus {
  readonly id?: string;
  readonly httpAddress?: string;
  readonly rpcAddress?: string;
  readonly clusterName?: string;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly partitionCount?: number;
  readonly members: readonly MemberStatus[];
  readonly partitionsOwned?: number;
  readonly keysStored?: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

type Json = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pickString(o: Json, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = o[name];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** A count may come as a number or as the list it counts (e.g. partitions owned). */
function pickCount(o: Json, names: readonly string[]): number | undefined {
  for (const name of names) {
    const v = o[name];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v)) return v.length;
  }
  return undefined;
}

const ID = ['id', 'nodeId'] as const;
const HTTP = ['httpAddress', 'http', 'httpUrl'] as const;
const RPC = ['rpcAddress', 'rpc'] as const;
const STATE = ['state', 'status', 'health'] as const;
const OWNED = ['partitionsOwned', 'ownedPartitions', 'partitions'] as const;
const KEYS = ['keysStored', 'keyCount', 'keys'] as const;

function readMember(v: unknown, idFromKey?: string): MemberStatus | undefined {
  if (typeof v === 'string') return { id: v };
  if (!isObject(v)) return idFromKey === undefined ? undefined : { id: idFromKey };
  const id = pickString(v, ID) ?? idFromKey;
  if (id === undefined) return undefined;
  const member: { -readonly [K in keyof MemberStatus]: MemberStatus[K] } = { id };
  const http = pickString(v, HTTP);
  if (http !== undefined) member.httpAddress = http;
  const rpc = pickString(v, RPC);
  if (rpc !== undefined) member.rpcAddress = rpc;
  const state = pickString(v, STATE);
  if (state !== undefined) member.state = state;
  const owned = pickCount(v, OWNED);
  if (owned !== undefined) member.partitionsOwned = owned;
  return member;
}

/** Members may be an array (of objects or ids) or an object keyed by id. */
function readMembers(v: unknown): MemberStatus[] {
  const out: MemberStatus[] = [];
  if (Array.isArray(v)) {
    for (const item of v as unknown[]) {
      const m = readMember(item);
      if (m !== undefined) out.push(m);
    }
  } else if (isObject(v)) {
    for (const [id, item] of Object.entries(v)) {
      const m = readMember(item, id);
      if (m !== undefined) out.push(m);
    }
  }
  return out;
}

function readParams(o: Json): Pick<NodeStatus, 'n' | 'r' | 'w' | 'partitionCount'> {
  // N/R/W may sit at the top level or under the cluster parameters object.
  const nested = [o['cluster'], o['params'], o['clusterParams']].find(isObject) ?? {};
  const num = (names: readonly string[]): number | undefined => pickCount(nested, names) ?? pickCount(o, names);
  const out: { n?: number; r?: number; w?: number; partitionCount?: number } = {};
  const n = num(['n', 'N']);
  if (n !== undefined) out.n = n;
  const r = num(['r', 'R']);
  if (r !== undefined) out.r = r;
  const w = num(['w', 'W']);
  if (w !== undefined) out.w = w;
  const q = pickCount(nested, ['partitionCount', 'partitions', 'q', 'Q']) ?? pickCount(o, ['partitionCount', 'q', 'Q']);
  if (q !== undefined) out.partitionCount = q;
  return out;
}

/** Reads the JSON of `GET /status`; throws only when it is not a JSON object at all. */
export function readNodeStatus(json: unknown): NodeStatus {
  if (!isObject(json)) throw new TypeError('the /status body is not a JSON object');
  const ring = isObject(json['ring']) ? json['ring'] : {};
  const membersSource = json['members'] ?? ring['members'] ?? json['nodes'];
  const status: { -readonly [K in keyof NodeStatus]: NodeStatus[K] } = {
    ...readParams(json),
    members: readMembers(membersSource),
    raw: json,
  };
  const id = pickString(json, ID);
  if (id !== undefined) status.id = id;
  const http = pickString(json, HTTP);
  if (http !== undefined) status.httpAddress = http;
  const rpc = pickString(json, RPC);
  if (rpc !== undefined) status.rpcAddress = rpc;
  const name = pickString(json, ['clusterName']);
  if (name !== undefined) status.clusterName = name;
  const owned = pickCount(json, OWNED);
  if (owned !== undefined) status.partitionsOwned = owned;
  const keys = pickCount(json, KEYS);
  if (keys !== undefined) status.keysStored = keys;
  return status;
}
