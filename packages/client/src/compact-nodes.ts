import { backupAgent, send, type BackupCredentials } from './backup-http.js';

export interface CompactOutcome {
  /** how long the slowest node took */
  readonly compactMs: number;
  /** nodes that refused or failed (the others compacted) */
  readonly compactFailures: readonly { readonly node: string; readonly error: string }[];
}

/**
 * POST /admin/compact on every node at once and waits for all of them, with
 * no time limit: a node with gigabytes of tables answers only when it is done.
 * Failures are collected, not thrown — compaction is upkeep; what the caller
 * wrote is in place either way.
 */
export async function compactNodes(nodes: readonly string[], credentials: BackupCredentials = {}): Promise<CompactOutcome> {
  const started = Date.now();
  const agent = backupAgent(0, 1, credentials);
  const compactFailures: { node: string; error: string }[] = [];
  try {
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const res = await send(agent, node, '/admin/compact', { method: 'POST' });
          await res.body.dump();
        } catch (err) {
          compactFailures.push({ node, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return { compactMs: Date.now() - started, compactFailures };
}
