import { readCorruptionCounters, type CorruptionCounters } from './chaos-corruption-counters.js';
import { sleep } from './chaos-workload.js';

/**
 * The end of a run with the `corrupt` fault: every node re-reads everything it
 * stores (POST /admin/scrub), so damage in keys nobody read since is found
 * too, and the final reads wait until what was found is repaired — a replica
 * refusing a damaged copy cannot answer an R = N read.
 */

/** What one node's scrub said. */
export interface ScrubResult {
  readonly node: string;
  /** records that failed their checksum in this scrub (undefined: the scrub failed) */
  readonly corrupt: number | undefined;
  readonly records: number | undefined;
  readonly error?: string;
}

/** Scrubs every node at once. */
export async function scrubAll(nodes: readonly { id: string; url: string }[], timeoutMs = 120_000): Promise<ScrubResult[]> {
  return Promise.all(
    nodes.map(async ({ id, url }): Promise<ScrubResult> => {
      try {
        const res = await fetch(`${url}/admin/scrub`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        if (res.status !== 200) return { node: id, corrupt: undefined, records: undefined, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
        const body = JSON.parse(text) as { corrupt?: unknown; records?: unknown };
        const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
        return { node: id, corrupt: num(body.corrupt), records: num(body.records) };
      } catch (err) {
        return { node: id, corrupt: undefined, records: undefined, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/**
 * Polls /metrics until every node has repaired as many damaged records as it
 * found (or `timeoutMs` passed). Returns the last readings (undefined: no
 * answer) and the nodes still behind.
 */
export async function waitForRepairs(
  nodes: readonly { id: string; url: string }[],
  timeoutMs: number,
  pollMs = 250,
): Promise<{ readonly counters: Readonly<Record<string, CorruptionCounters | undefined>>; readonly behind: readonly string[]; readonly elapsedMs: number }> {
  const started = performance.now();
  for (;;) {
    const read = await Promise.all(nodes.map((n) => readCorruptionCounters(n.url)));
    const counters = Object.fromEntries(nodes.map((n, i) => [n.id, read[i]]));
    const behind = nodes.filter((_, i) => {
      const c = read[i];
      return c === undefined || c.repaired < c.records;
    });
    const elapsedMs = performance.now() - started;
    if (behind.length === 0 || elapsedMs >= timeoutMs) return { counters, behind: behind.map((n) => n.id), elapsedMs };
    await sleep(pollMs);
  }
}
