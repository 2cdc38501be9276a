/**
 * The bodies of the /admin/cluster/* endpoints (membership changes as Riak's
 * plan/commit), read defensively: every field is checked once here, so the
 * CLI and the tools work with plain typed values.
 */

/** A membership operation that can be staged. */
export type ClusterOp = 'join' | 'leave' | 'remove';

export interface StagedMember {
  readonly id: string;
  readonly weight: number;
}

/** What the node you talk to has staged (staging is kept per node). */
export interface StagedChange {
  readonly join: readonly StagedMember[];
  readonly leave: readonly string[];
  readonly remove: readonly string[];
}

export interface PlanNode {
  /** key partitions this node will receive (one transfer each) */
  readonly partitionsIn: number;
  /** key partitions this node will send */
  readonly partitionsOut: number;
  /** estimated keys and bytes it will receive */
  readonly keysIn: number;
  readonly bytesIn: number;
}

/** `GET /admin/cluster/plan`, and what `POST /admin/cluster/commit` answers (the plan it applied). */
export interface ClusterPlan {
  readonly epoch: number;
  readonly nextEpoch: number;
  readonly staged: StagedChange;
  /** partitions whose owner changes (what the claim minimises) */
  readonly ownersMoved: number;
  /** key partitions that will move to a new replica */
  readonly transfers: number;
  readonly nodes: Readonly<Record<string, PlanNode>>;
  readonly estimatedSeconds: number;
  readonly note: string;
}

export interface TransferCounts {
  readonly total: number;
  readonly done: number;
  readonly pending: number;
}

/** A transfer the node is sending now. */
export interface ActiveTransfer {
  readonly id: string;
  readonly partition: number;
  readonly to: string;
  readonly keysSent: number;
  readonly bytesSent: number;
  /** the node's clock (ms since the epoch) when it started */
  readonly startedAt: number;
  readonly keysPerSecond: number;
}

/** What this node has handed off since it started (its own figures, not the cluster's). */
export interface HandoffTotals {
  readonly transfersDone: number;
  readonly keysSent: number;
  readonly bytesSent: number;
  readonly partitionsDropped: number;
  readonly keysDropped: number;
}

export interface PendingTransfer {
  readonly partition: number;
  readonly to: string;
  readonly from: string | null;
}

/** `GET /admin/cluster/status`: one node's view of the ring epoch and its transfers. */
export interface ClusterStatus {
  readonly epoch: number;
  /** ring members (owners after the current epoch's change) */
  readonly members: readonly StagedMember[];
  readonly staged: StagedChange;
  readonly transfers: TransferCounts;
  readonly pendingSample: readonly PendingTransfer[];
  readonly sending: readonly ActiveTransfer[];
  readonly handoffTotals: HandoffTotals;
}

type Json = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(o: Json, name: string, where: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${where}.${name} is not a number`);
  return v;
}

function str(o: Json, name: string, where: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw new TypeError(`${where}.${name} is not a string`);
  return v;
}

function obj(o: Json, name: string, where: string): Json {
  const v = o[name];
  if (!isObject(v)) throw new TypeError(`${where}.${name} is not an object`);
  return v;
}

function list(o: Json, name: string, where: string): readonly unknown[] {
  const v = o[name];
  if (!Array.isArray(v)) throw new TypeError(`${where}.${name} is not a list`);
  return v;
}

function readMember(v: unknown, where: string): StagedMember {
  if (typeof v === 'string') return { id: v, weight: 1 };
  if (!isObject(v)) throw new TypeError(`${where} is not a member`);
  return { id: str(v, 'id', where), weight: typeof v['weight'] === 'number' ? v['weight'] : 1 };
}

function readIds(o: Json, name: string, where: string): string[] {
  return list(o, name, where).map((x, i) => {
    if (typeof x !== 'string') throw new TypeError(`${where}.${name}[${i}] is not a node id`);
    return x;
  });
}

export function readStagedChange(v: unknown, where = 'staged'): StagedChange {
  if (!isObject(v)) throw new TypeError(`${where} is not an object`);
  // The server omits nothing today, but an absent list simply means nothing staged.
  const ids = (name: string): string[] => (v[name] === undefined ? [] : readIds(v, name, where));
  const join = v['join'] === undefined ? [] : list(v, 'join', where).map((m, i) => readMember(m, `${where}.join[${i}]`));
  return { join, leave: ids('leave'), remove: ids('remove') };
}

export function readClusterPlan(v: unknown): ClusterPlan {
  const where = 'plan';
  if (!isObject(v)) throw new TypeError('the plan is not a JSON object');
  const nodes: Record<string, PlanNode> = {};
  for (const [id, n] of Object.entries(obj(v, 'nodes', where))) {
    if (!isObject(n)) throw new TypeError(`plan.nodes.${id} is not an object`);
    const w = `plan.nodes.${id}`;
    nodes[id] = { partitionsIn: num(n, 'partitionsIn', w), partitionsOut: num(n, 'partitionsOut', w), keysIn: num(n, 'keysIn', w), bytesIn: num(n, 'bytesIn', w) };
  }
  return {
    epoch: num(v, 'epoch', where),
    nextEpoch: num(v, 'nextEpoch', where),
    staged: readStagedChange(v['staged'], 'plan.staged'),
    ownersMoved: num(v, 'ownersMoved', where),
    transfers: num(v, 'transfers', where),
    nodes,
    estimatedSeconds: num(v, 'estimatedSeconds', where),
    note: typeof v['note'] === 'string' ? v['note'] : '',
  };
}

export function readClusterStatus(v: unknown): ClusterStatus {
  const where = 'status';
  if (!isObject(v)) throw new TypeError('the cluster status is not a JSON object');
  const t = obj(v, 'transfers', where);
  const h = obj(v, 'handoffTotals', where);
  const sending = list(v, 'sending', where).map((x, i): ActiveTransfer => {
    const w = `status.sending[${i}]`;
    if (!isObject(x)) throw new TypeError(`${w} is not an object`);
    return {
      id: str(x, 'id', w),
      partition: num(x, 'partition', w),
      to: str(x, 'to', w),
      keysSent: num(x, 'keysSent', w),
      bytesSent: num(x, 'bytesSent', w),
      startedAt: num(x, 'startedAt', w),
      keysPerSecond: num(x, 'keysPerSecond', w),
    };
  });
  const pendingSample = (v['pendingSample'] === undefined ? [] : list(v, 'pendingSample', where)).map((x, i): PendingTransfer => {
    const w = `status.pendingSample[${i}]`;
    if (!isObject(x)) throw new TypeError(`${w} is not an object`);
    return { partition: num(x, 'partition', w), to: str(x, 'to', w), from: typeof x['from'] === 'string' ? x['from'] : null };
  });
  return {
    epoch: num(v, 'epoch', where),
    members: list(v, 'members', where).map((m, i) => readMember(m, `status.members[${i}]`)),
    staged: readStagedChange(v['staged'], 'status.staged'),
    transfers: { total: num(t, 'total', 'status.transfers'), done: num(t, 'done', 'status.transfers'), pending: num(t, 'pending', 'status.transfers') },
    pendingSample,
    sending,
    handoffTotals: {
      transfersDone: num(h, 'transfersDone', 'status.handoffTotals'),
      keysSent: num(h, 'keysSent', 'status.handoffTotals'),
      bytesSent: num(h, 'bytesSent', 'status.handoffTotals'),
      partitionsDropped: num(h, 'partitionsDropped', 'status.handoffTotals'),
      keysDropped: num(h, 'keysDropped', 'status.handoffTotals'),
    },
  };
}

/** The `staged` member of an /admin/cluster answer. */
export function readStagedBody(body: unknown): StagedChange {
  return readStagedChange((body as { staged?: unknown } | null)?.staged);
}
