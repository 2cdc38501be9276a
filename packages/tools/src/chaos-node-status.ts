/** Hints one node holds, per target node (its /status `hintsPending`). */
export type HintsPending = Readonly<Record<string, number>>;

/** What the chaos script reads from one node's /status, leniently (older servers lack some fields). */
export interface NodeHealth {
  readonly hints: HintsPending;
  /** the node refuses reads until anti-entropy has repaired it (absent: false) */
  readonly recovering: boolean;
  /** member id → alive | suspect | dead, as this node sees it */
  readonly members: Readonly<Record<string, string>>;
}

/** One GET /status; undefined when the node does not answer (in time) or answers nonsense. */
export async function readNodeHealth(url: string, timeoutMs = 2000): Promise<NodeHealth | undefined> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { hintsPending?: unknown; recovering?: unknown; members?: unknown };
    const h = body.hintsPending;
    if (typeof h !== 'object' || h === null) return undefined;
    const hints: Record<string, number> = {};
    for (const [target, count] of Object.entries(h)) if (typeof count === 'number' && count > 0) hints[target] = count;
    const r = body.recovering;
    const recovering = typeof r === 'boolean' ? r : typeof r === 'object' && r !== null && (r as { active?: unknown }).active === true;
    const members: Record<string, string> = {};
    if (Array.isArray(body.members)) {
      for (const m of body.members as unknown[]) {
        const { id, state } = (m ?? {}) as { id?: unknown; state?: unknown };
        if (typeof id === 'string' && typeof state === 'string') members[id] = state;
      }
    }
    return { hints, recovering, members };
  } catch {
    return undefined;
  }
}
