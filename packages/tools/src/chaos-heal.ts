import { FINAL_CLIENT_PREFIX, type HistoryRecorder } from './chaos-history.js';
import type { NodePools } from './chaos-http.js';
import { readNodeHealth, type HintsPending, type NodeHealth } from './chaos-node-status.js';
import { outcomeFields, sleep } from './chaos-workload.js';

export interface HintDrain {
  readonly drained: boolean;
  /** from the start of the wait until every node reported no hints (or the limit) */
  readonly elapsedMs: number;
  /** per node: hints held when the wait began, and at its end (undefined: /status did not answer) */
  readonly atStart: Readonly<Record<string, HintsPending | undefined>>;
  readonly atEnd: Readonly<Record<string, HintsPending | undefined>>;
  /** nodes refusing reads while they recover (anti-entropy repair), when the hints had drained */
  readonly recoveringAtDrain: readonly string[];
  /** …and still, when the wait ended */
  readonly recoveringAtEnd: readonly string[];
  /** how long the wait for recovering nodes took after the hints had drained */
  readonly recoveryWaitMs: number;
}

export const totalHints = (byNode: Readonly<Record<string, HintsPending | undefined>>): number =>
  Object.values(byNode).reduce((sum, h) => sum + Object.values(h ?? {}).reduce((a, b) => a + b, 0), 0);

/**
 * Polls every node's /status until none holds a hint, or `timeoutMs` passed;
 * then, within the same limit, until no node is still refusing reads while it
 * recovers (the final reads ask every replica, R = N).
 */
export async function waitForHintsDrained(nodes: readonly { id: string; url: string }[], timeoutMs: number, pollMs = 250): Promise<HintDrain> {
  const started = performance.now();
  const poll = async (): Promise<Record<string, NodeHealth | undefined>> => {
    const results = await Promise.all(nodes.map((n) => readNodeHealth(n.url)));
    return Object.fromEntries(nodes.map((n, i) => [n.id, results[i]]));
  };
  const hintsIn = (p: Record<string, NodeHealth | undefined>): Record<string, HintsPending | undefined> =>
    Object.fromEntries(Object.entries(p).map(([id, h]) => [id, h?.hints]));
  const first = await poll();
  const atStart = hintsIn(first);
  let last = first;
  let elapsedMs = performance.now() - started;
  // A node whose /status does not answer may hold hints: not drained.
  const drainedNow = (): boolean => Object.values(last).every((h) => h !== undefined) && totalHints(hintsIn(last)) === 0;
  while (!drainedNow() && elapsedMs < timeoutMs) {
    await sleep(pollMs);
    last = await poll();
    elapsedMs = performance.now() - started;
  }
  const drained = drainedNow();
  const hintsElapsedMs = elapsedMs;
  const recoveringNow = (): string[] => Object.entries(last).filter(([, h]) => h?.recovering === true).map(([id]) => id);
  const recoveringAtDrain = recoveringNow();
  while (recoveringNow().length > 0 && elapsedMs < timeoutMs) {
    await sleep(pollMs);
    last = await poll();
    elapsedMs = performance.now() - started;
  }
  return {
    drained,
    elapsedMs: hintsElapsedMs,
    atStart,
    atEnd: hintsIn(last),
    recoveringAtDrain,
    recoveringAtEnd: recoveringNow(),
    recoveryWaitMs: recoveringAtDrain.length === 0 ? 0 : elapsedMs - hintsElapsedMs,
  };
}

export interface FinalReadOptions {
  readonly pools: NodePools;
  readonly nodeIds: readonly string[];
  readonly keys: readonly string[];
  /** the read quorum to ask for: N, every replica */
  readonly r: number;
  readonly recorder: HistoryRecorder;
  readonly rounds?: number;
  readonly gapMs?: number;
  readonly readers?: number;
  /** tries per key and round before giving up on it */
  readonly attempts?: number;
}

/**
 * Reads every key with R = N, in `rounds` rounds `gapMs` apart (the first
 * round's read repair settles what the second one reads); the reads go into
 * the history as clients `final-<i>`, and the checker uses each key's last one.
 * Returns the keys no read answered in the last round.
 */
export async function finalReads(o: FinalReadOptions): Promise<string[]> {
  const rounds = o.rounds ?? 2;
  const readers = Math.max(1, Math.min(o.readers ?? 8, o.keys.length));
  const attempts = o.attempts ?? 5;
  let unread: string[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await sleep(o.gapMs ?? 1000);
    unread = [];
    let next = 0;
    let turn = round;
    await Promise.all(
      Array.from({ length: readers }, async (_, reader) => {
        const client = `${FINAL_CLIENT_PREFIX}${reader}`;
        for (let k = next++; k < o.keys.length; k = next++) {
          const key = o.keys[k] ?? '';
          let done = false;
          for (let a = 0; a < attempts && !done; a++) {
            if (a > 0) await sleep(500);
            const node = turn++ % o.nodeIds.length;
            const nodeId = o.nodeIds[node] ?? `n${node + 1}`;
            o.recorder.record({ client, op: 'get', key, phase: 'invoke', node: nodeId });
            const out = await o.pools.request(node, { method: 'GET', key, r: o.r });
            o.recorder.record({ client, op: 'get', key, ...outcomeFields(out), phase: out.phase, node: nodeId });
            done = out.phase === 'ok';
          }
          if (!done) unread.push(key);
        }
      }),
    );
  }
  return unread;
}
