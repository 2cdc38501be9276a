/**
 * The table of known cluster members and their addresses, spread by gossip.
 * An entry is replaced only by one with a higher incarnation (a node bumps its
 * own incarnation when it restarts with new addresses), so merging is a
 * commutative, idempotent join and every node converges on the same table.
 */
export interface MemberInfo {
  readonly id: string;
  /** "host:port" of the inter-node RPC listener */
  readonly rpc: string;
  /** "host:port" of the HTTP listener */
  readonly http: string;
  /** capacity share; a node of weight 2 owns twice as many partitions */
  readonly weight: number;
  readonly incarnation: number;
}

export type MemberTable = ReadonlyMap<string, MemberInfo>;

/** Deterministic tie-break so that two entries with the same incarnation merge the same way everywhere. */
function newer(a: MemberInfo, b: MemberInfo): MemberInfo {
  if (a.incarnation !== b.incarnation) return a.incarnation > b.incarnation ? a : b;
  const ka = `${a.rpc}|${a.http}|${a.weight}`;
  const kb = `${b.rpc}|${b.http}|${b.weight}`;
  return ka >= kb ? a : b;
}

export function mergeMemberTables(a: MemberTable, b: Iterable<MemberInfo>): MemberTable {
  const out = new Map(a);
  for (const m of b) {
    const cur = out.get(m.id);
    out.set(m.id, cur === undefined ? m : newer(cur, m));
  }
  return out;
}

export function memberTablesEqual(a: MemberTable, b: MemberTable): boolean {
  if (a.size !== b.size) return false;
  for (const [id, m] of a) {
    const o = b.get(id);
    if (o === undefined || newer(m, o) !== m || newer(o, m) !== o) return false;
  }
  return true;
}

const idPattern = /^[A-Za-z0-9_.-]{1,64}$/;
const addressPattern = /^[A-Za-z0-9_.:[\]-]{1,255}:[0-9]{1,5}$/;

export function isValidNodeId(id: string): boolean {
  return idPattern.test(id);
}

/** Validates a member entry received from the network; returns undefined when malformed. */
export function parseMemberInfo(x: unknown): MemberInfo | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as Record<string, unknown>;
  const { id, rpc, http, weight, incarnation } = o;
  if (typeof id !== 'string' || !isValidNodeId(id)) return undefined;
  if (typeof rpc !== 'string' || !addressPattern.test(rpc)) return undefined;
  if (typeof http !== 'string' || !addressPattern.test(http)) return undefined;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 64) return undefined;
  if (typeof incarnation !== 'number' || !Number.isSafeInteger(incarnation) || incarnation < 0) return undefined;
  return { id, rpc, http, weight, incarnation };
}
