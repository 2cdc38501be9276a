import { normalizeNodeUrl, type ClusterStatus, type RingkvClient } from '@ringkv/client';

/** What `ringkv cluster status` gathers: the asked node's view plus every reachable node's handoff figures. */

/** Admin calls go to one node: staging is kept per node. */
export const adminUrl = (c: RingkvClient): string => c.nodes[0] ?? '';


/** n2 before n10. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** One member as the asked node's /status lists it. */
export interface MemberView {
  readonly id: string;
  readonly url: string | undefined;
  readonly state: string;
  readonly partitions: number | undefined;
  readonly inRing: boolean;
}

/** The asked node's view, plus every reachable node's own handoff figures. */
export interface ClusterProgress {
  readonly node: string;
  readonly at: number;
  readonly status: ClusterStatus;
  readonly members: readonly MemberView[];
  /** handoff figures summed over the nodes that answered */
  readonly keysSent: number;
  readonly bytesSent: number;
  readonly transfersRunning: number;
  /** sum of the running transfers' own rates (keys/s since each started) */
  readonly keysPerSecondNow: number;
  readonly answered: readonly string[];
  readonly unanswered: readonly string[];
}

export async function gatherProgress(c: RingkvClient): Promise<ClusterProgress> {
  const node = adminUrl(c);
  const [status, nodeStatus] = await Promise.all([c.clusterStatus({ node }), c.status(node)]);
  const ring = new Set(status.members.map((m) => m.id));
  const members: MemberView[] = nodeStatus.members.map((m) => ({
    id: m.id,
    url: m.httpAddress === undefined ? undefined : safeUrl(m.httpAddress),
    state: m.state ?? '?',
    partitions: m.partitionsOwned,
    inRing: ring.has(m.id),
  }));
  // A node that is leaving is no longer in the ring but still sends: ask every node that may be up.
  const askable = members.filter((m) => m.url !== undefined && m.url !== node && m.state !== 'dead');
  const others = await Promise.all(
    askable.map(async (m) => {
      try {
        return { id: m.id, status: await c.clusterStatus({ node: m.url ?? '' }) };
      } catch {
        return { id: m.id, status: undefined };
      }
    }),
  );
  const selfId = nodeStatus.id ?? node;
  const answers = [{ id: selfId, status: status as ClusterStatus | undefined }, ...others];
  let keysSent = 0;
  let bytesSent = 0;
  let transfersRunning = 0;
  let keysPerSecondNow = 0;
  const answered: string[] = [];
  const unanswered: string[] = members.filter((m) => m.state === 'dead').map((m) => m.id);
  for (const a of answers) {
    if (a.status === undefined) {
      unanswered.push(a.id);
      continue;
    }
    answered.push(a.id);
    keysSent += a.status.handoffTotals.keysSent;
    bytesSent += a.status.handoffTotals.bytesSent;
    transfersRunning += a.status.sending.length;
    keysPerSecondNow += a.status.sending.reduce((s, t) => s + t.keysPerSecond, 0);
  }
  return { node, at: Date.now(), status, members, keysSent, bytesSent, transfersRunning, keysPerSecondNow, answered: answered.sort(compareIds), unanswered: unanswered.sort(compareIds) };
}

export function safeUrl(address: string): string | undefined {
  try {
    return normalizeNodeUrl(address);
  } catch {
    return undefined;
  }
}

export function progressJson(p: ClusterProgress, rate?: { keysPerSecond: number; bytesPerSecond: number }): unknown {
  return {
    node: p.node,
    epoch: p.status.epoch,
    members: p.members,
    staged: p.status.staged,
    transfers: p.status.transfers,
    pendingSample: p.status.pendingSample,
    moved: { keysSent: p.keysSent, bytesSent: p.bytesSent, transfersRunning: p.transfersRunning, keysPerSecond: rate?.keysPerSecond ?? p.keysPerSecondNow, ...(rate === undefined ? {} : { bytesPerSecond: rate.bytesPerSecond }) },
    nodesAnswered: p.answered,
    nodesUnanswered: p.unanswered,
  };
}
