import type { Health } from '@ringkv/core';
import type { ConsoleNodeSample, ConsoleNodeSampler } from './console-node-sample.js';
import type { RingkvNode } from './ringkv-node.js';

/** A member as the serving node sees it (its gossip view), for the members panel. */
export interface ConsoleMember {
  readonly id: string;
  readonly http: string;
  readonly weight: number;
  /** partitions it owns in the current ring */
  readonly partitions: number;
  readonly state: Health;
  readonly phi: number;
  readonly lastHeardAgoMs: number;
  readonly incarnation: number;
}

/** What a member answered to GET /ui/api/node, or why it could not. */
export type ConsoleMemberSample =
  | { readonly ok: true; readonly sample: ConsoleNodeSample }
  | { readonly ok: false; readonly error: string };

/**
 * The JSON of GET /ui/api/cluster. The serving node fans out to every member
 * server-side, so the browser talks to one origin only (no CORS on the data
 * endpoints) and only to addresses the cluster itself advertises.
 */
export interface ConsoleClusterDocument {
  readonly self: string;
  readonly at: number;
  readonly members: readonly ConsoleMember[];
  readonly samples: Readonly<Record<string, ConsoleMemberSample>>;
}

/** Long enough for a busy node on a loaded machine, short enough that a dead one does not stall the console. */
export const memberFetchTimeoutMs = 1200;
/** a node answers in a few KiB; anything much larger is not one of ours */
const sampleBytesMax = 256 * 1024;

/** How to reach the other members: as the browser reached this one. */
export interface FanOutOptions {
  /** members serve the same scheme as this node (TLS is a cluster-wide setting) */
  readonly scheme: 'http' | 'https';
  /**
   * The caller's Authorization header, passed on when the node requires
   * tokens: the operator who may read this node's figures may read its
   * fellows', and the console has no token of its own.
   */
  readonly authorization?: string | undefined;
}

export async function buildClusterDocument(node: RingkvNode, sampler: ConsoleNodeSampler, fanOut: FanOutOptions = { scheme: 'http' }): Promise<ConsoleClusterDocument> {
  const now = node.deps.clock.now();
  const selfId = node.view.self.id;
  const owned = new Map<string, number>();
  for (const o of node.view.ring.owners) owned.set(o, (owned.get(o) ?? 0) + 1);
  const health = new Map(node.membership.snapshot(now).map((h) => [h.id, h]));
  const members: ConsoleMember[] = [...node.view.members.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => {
      const h = health.get(m.id);
      return {
        id: m.id,
        http: m.http,
        weight: m.weight,
        partitions: owned.get(m.id) ?? 0,
        state: h?.health ?? node.membership.health(m.id, now),
        phi: h?.phi ?? 0,
        lastHeardAgoMs: h?.lastHeardAgoMs ?? 0,
        incarnation: h?.incarnation ?? 0,
      };
    });

  const entries = await Promise.all(
    members.map(async (m): Promise<[string, ConsoleMemberSample]> => {
      if (m.id === selfId) return [m.id, await sampleOf(() => sampler.sample())];
      // Asking a node gossip declared dead would only make every poll wait for the timeout.
      if (m.state === 'dead') return [m.id, { ok: false, error: 'not asked: the member is dead' }];
      return [m.id, await sampleOf(() => fetchSample(m.http, fanOut))];
    }),
  );
  return { self: selfId, at: now, members, samples: Object.fromEntries(entries) };
}

async function sampleOf(take: () => Promise<ConsoleNodeSample>): Promise<ConsoleMemberSample> {
  try {
    return { ok: true, sample: await take() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** GET <member>/ui/api/node, with a deadline and a size limit. */
async function fetchSample(http: string, fanOut: FanOutOptions): Promise<ConsoleNodeSample> {
  const headers: Record<string, string> = fanOut.authorization === undefined ? {} : { authorization: fanOut.authorization };
  const url = `${fanOut.scheme}://${http}/ui/api/node`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(memberFetchTimeoutMs) }).catch((err: unknown) => {
    const e = err as Error;
    throw new Error(e.name === 'TimeoutError' ? `no answer within ${memberFetchTimeoutMs} ms` : `unreachable (${e.message})`);
  });
  const text = await res.text();
  if (text.length > sampleBytesMax) throw new Error(`answer larger than ${sampleBytesMax} bytes`);
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as ConsoleNodeSample;
  if (typeof body?.id !== 'string' || typeof body.at !== 'number') throw new Error('the answer is not a console sample');
  return body;
}
