import type { RingkvClient } from '@ringkv/client';

export interface ReadyCheck {
  readonly id: string;
  readonly url: string;
  /** how many members the node's /status must list */
  readonly members: number;
  /** why the node can no longer become ready (it exited), or undefined while it runs */
  readonly failure: () => string | undefined;
}

const pollMs = 150;

/**
 * Resolves once the node answers /health with 200 and its /status lists every
 * member; rejects as soon as the node dies, or at the deadline, saying what it
 * was last seen doing.
 */
export async function waitUntilReady(client: RingkvClient, check: ReadyCheck, deadline: number): Promise<void> {
  let lastSeen = 'no answer on /health yet';
  for (;;) {
    const failure = check.failure();
    if (failure !== undefined) throw new NodeNotReadyError(check.id, failure);
    if (await client.health(check.url)) {
      try {
        const status = await client.status(check.url);
        if (status.members.length >= check.members) return;
        lastSeen = `/health is 200 but /status lists ${status.members.length} of ${check.members} members (${status.members.map((m) => m.id).join(', ') || 'none'})`;
      } catch (err) {
        lastSeen = `/status failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (Date.now() >= deadline) throw new NodeNotReadyError(check.id, `not ready in time: ${lastSeen}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export class NodeNotReadyError extends Error {
  constructor(
    readonly nodeId: string,
    readonly reason: string,
  ) {
    super(`node ${nodeId}: ${reason}`);
    this.name = 'NodeNotReadyError';
  }
}
