import { Agent, request } from 'undici';
import type { RepairSummary } from '@ringkv/client';

/** The anti-entropy counters of one node's GET /status (they start at 0 with every process). */
export interface AeCounters {
  readonly exchanges: number;
  readonly exchangesFailed: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** What the anti-entropy benchmark reads from one node's GET /status. */
export interface NodeSnapshot {
  readonly id: string;
  readonly partitions: number;
  readonly keysStored: number;
  readonly recovering: boolean;
  readonly partitionsLeft: number;
  /** versions from other replicas merged into this node's store since it started (anti-entropy, read repair, replication) */
  readonly merges: number;
  /** those of them that changed the store */
  readonly mergesChanged: number;
  readonly ae: AeCounters;
}

export const zeroCounters: AeCounters = { exchanges: 0, exchangesFailed: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0 };

type Json = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(o: Json, name: string, where: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`GET /status: ${where}${name} is not a number (got ${JSON.stringify(v)})`);
  return v;
}

function obj(o: Json, name: string): Json {
  const v = o[name];
  if (!isObject(v)) throw new Error(`GET /status: ${name} is missing`);
  return v;
}

/** Checks and picks the fields the benchmark needs; a server without them is an error, not a zero. */
export function parseSnapshot(body: unknown): NodeSnapshot {
  if (!isObject(body)) throw new Error('GET /status: not a JSON object');
  const ae = obj(body, 'antiEntropy');
  const rec = obj(body, 'recovering');
  const replica = obj(body, 'replica');
  return {
    id: typeof body['id'] === 'string' ? body['id'] : '?',
    partitions: num(obj(body, 'cluster'), 'partitions', 'cluster.'),
    keysStored: num(body, 'keysStored', ''),
    recovering: rec['active'] === true,
    partitionsLeft: num(rec, 'partitionsLeft', 'recovering.'),
    merges: num(replica, 'merges', 'replica.'),
    mergesChanged: num(replica, 'mergesChanged', 'replica.'),
    ae: {
      exchanges: num(ae, 'exchanges', 'antiEntropy.'),
      exchangesFailed: num(ae, 'exchangesFailed', 'antiEntropy.'),
      keysRepaired: num(ae, 'keysRepaired', 'antiEntropy.'),
      bytesSent: num(ae, 'bytesSent', 'antiEntropy.'),
      bytesReceived: num(ae, 'bytesReceived', 'antiEntropy.'),
    },
  };
}

/** What happened between two readings of the same process. */
export function counterDelta(before: AeCounters, after: AeCounters): AeCounters {
  const d = (k: keyof AeCounters): number => {
    const v = after[k] - before[k];
    if (v < 0) throw new Error(`antiEntropy.${k} went down (${before[k]} → ${after[k]}): the node restarted between the readings`);
    return v;
  };
  return { exchanges: d('exchanges'), exchangesFailed: d('exchangesFailed'), keysRepaired: d('keysRepaired'), bytesSent: d('bytesSent'), bytesReceived: d('bytesReceived') };
}

export function addCounters(list: readonly AeCounters[]): AeCounters {
  return list.reduce(
    (a, c) => ({
      exchanges: a.exchanges + c.exchanges,
      exchangesFailed: a.exchangesFailed + c.exchangesFailed,
      keysRepaired: a.keysRepaired + c.keysRepaired,
      bytesSent: a.bytesSent + c.bytesSent,
      bytesReceived: a.bytesReceived + c.bytesReceived,
    }),
    zeroCounters,
  );
}

// No keep-alive: the benchmark kills and restarts nodes; a pooled socket to a dead process would fail the next poll.
const agent = new Agent({ pipelining: 0 });

export async function fetchSnapshot(baseUrl: string, timeoutMs = 10_000): Promise<NodeSnapshot> {
  const res = await request(`${baseUrl}/status`, { dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${baseUrl}/status: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return parseSnapshot(JSON.parse(text));
}

/** The JSON summary of POST /admin/repair. */
export type { RepairSummary };

export function parseRepairSummary(body: unknown): RepairSummary {
  if (!isObject(body)) throw new Error('POST /admin/repair: not a JSON object');
  const f = (k: keyof RepairSummary): number => num(body, k, 'repair summary ');
  return { partitions: f('partitions'), exchanges: f('exchanges'), failed: f('failed'), keysRepaired: f('keysRepaired'), bytesSent: f('bytesSent'), bytesReceived: f('bytesReceived') };
}

/** Runs anti-entropy now on the node, over every partition it replicates, and waits for the summary. */
export async function repairNow(baseUrl: string, timeoutMs = 600_000): Promise<RepairSummary> {
  const res = await request(`${baseUrl}/admin/repair`, { method: 'POST', dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST ${baseUrl}/admin/repair: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return parseRepairSummary(JSON.parse(text));
}

export async function closeStatusAgent(): Promise<void> {
  await agent.close();
}
