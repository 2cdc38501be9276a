import { RingkvClient, type HandoffTotals } from '@ringkv/client';
import { seqOf, sleep, type AckLedger } from './rebalance-workload.js';

/** Polling helpers and end checks shared by the membership tests and the rebalance benchmark. */

export interface NodeRef {
  readonly id: string;
  readonly url: string;
}

/**
 * Until every node in `nodes` holds ring epoch `epoch` with no transfer
 * pending (so every node switched every moved partition to its new replicas).
 * Returns the milliseconds waited.
 */
export async function waitTransfersDone(client: RingkvClient, nodes: readonly NodeRef[], epoch: number, timeoutMs: number, pollMs = 200): Promise<number> {
  const started = performance.now();
  let last = '';
  for (;;) {
    const views = await Promise.all(
      nodes.map(async (n) => {
        try {
          const s = await client.clusterStatus({ node: n.url });
          return `${n.id}: epoch ${s.epoch}, ${s.transfers.pending} pending`;
        } catch (err) {
          return `${n.id}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }),
    );
    if (views.every((v) => v.endsWith(`epoch ${epoch}, 0 pending`))) return performance.now() - started;
    last = views.join('; ');
    if (performance.now() - started > timeoutMs) throw new Error(`transfers of epoch ${epoch} not done within ${timeoutMs} ms (${last})`);
    await sleep(pollMs);
  }
}

/** Each node's handoff figures (undefined for a node that does not answer). */
export async function handoffTotals(client: RingkvClient, nodes: readonly NodeRef[]): Promise<Map<string, HandoffTotals | undefined>> {
  const out = new Map<string, HandoffTotals | undefined>();
  await Promise.all(
    nodes.map(async (n) => {
      try {
        out.set(n.id, (await client.clusterStatus({ node: n.url })).handoffTotals);
      } catch {
        out.set(n.id, undefined);
      }
    }),
  );
  return out;
}

export async function keysStored(client: RingkvClient, nodes: readonly NodeRef[]): Promise<Map<string, number | undefined>> {
  const out = new Map<string, number | undefined>();
  await Promise.all(
    nodes.map(async (n) => {
      try {
        out.set(n.id, (await client.status(n.url)).keysStored);
      } catch {
        out.set(n.id, undefined);
      }
    }),
  );
  return out;
}

/**
 * Until every node stores exactly the keys it replicates (`expected`): the new
 * replicas are filled and the old ones dropped what they gave up. Returns the
 * last counts seen and whether they matched before the deadline.
 */
export async function waitForKeyCounts(
  client: RingkvClient,
  nodes: readonly NodeRef[],
  expected: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<{ matched: boolean; counts: Map<string, number | undefined>; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const counts = await keysStored(client, nodes);
    const matched = nodes.every((n) => counts.get(n.id) === (expected.get(n.id) ?? 0));
    const waitedMs = performance.now() - started;
    if (matched || waitedMs > timeoutMs) return { matched, counts, waitedMs };
    await sleep(250);
  }
}

export interface ReadCheck {
  readonly checked: number;
  /** read, but nothing as new as the last acknowledged write */
  readonly lost: readonly { key: string; acked: number; read: number[] }[];
  /** no read answered in every attempt */
  readonly unreadable: readonly { key: string; error: string }[];
  readonly elapsedMs: number;
}

/**
 * Reads every key with an acknowledged write (`r`, and `pr` when given), each
 * from the nodes in turn, and compares with the ledger: the read must return
 * a value at least as new as the key's last acknowledged write (a newer one
 * comes from a later write whose outcome was unknown, sent with a context
 * covering the acknowledged one).
 */
export async function checkAckedReadable(
  nodes: readonly string[],
  ledger: AckLedger,
  options: { readonly r: number; readonly pr?: number; readonly concurrency?: number; readonly attempts?: number; readonly keys?: readonly string[] },
): Promise<ReadCheck> {
  const started = performance.now();
  const keys = options.keys ?? ledger.ackedKeys();
  const client = new RingkvClient({ nodes, timeoutMs: 10_000, connectionsPerNode: Math.max(1, Math.ceil((options.concurrency ?? 16) / nodes.length)) });
  const lost: { key: string; acked: number; read: number[] }[] = [];
  const unreadable: { key: string; error: string }[] = [];
  let next = 0;
  let turn = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, keys.length)) }, async () => {
        for (let i = next++; i < keys.length; i = next++) {
          const key = keys[i] ?? '';
          const acked = ledger.state(key).acked;
          let error = '';
          let read: number[] | undefined;
          for (let a = 0; a < (options.attempts ?? 4) && read === undefined; a++) {
            if (a > 0) await sleep(300 * a);
            const node = nodes[turn++ % nodes.length] ?? '';
            try {
              const got = await client.get(key, { r: options.r, ...(options.pr === undefined ? {} : { pr: options.pr }), node });
              read = got.found ? got.siblings.map((s) => seqOf(Buffer.from(s.value).toString('utf8'))) : [];
            } catch (err) {
              error = err instanceof Error ? err.message : String(err);
            }
          }
          if (read === undefined) unreadable.push({ key, error });
          else if (!read.some((q) => q >= acked)) lost.push({ key, acked, read });
        }
      }),
    );
  } finally {
    await client.close();
  }
  return { checked: keys.length, lost, unreadable, elapsedMs: performance.now() - started };
}
