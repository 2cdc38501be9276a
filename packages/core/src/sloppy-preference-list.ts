/**
 * The sloppy quorum's replica list (riak_core's get_apl_ann): the key's N
 * primaries that are up, and for each primary that is down the next up node
 * beyond the first N on the ring, marked as a fallback holding a hint for
 * that primary. Pure: `isUp` is the caller's failure detector.
 */
export interface ReplicaTarget {
  readonly node: string;
  readonly primary: boolean;
  /** for a fallback: the primary whose copy it keeps until that primary is back */
  readonly hintFor?: string;
}

export function sloppyPreferenceList(walk: readonly string[], n: number, isUp: (id: string) => boolean): ReplicaTarget[] {
  const primaries = walk.slice(0, n);
  const spares = walk.slice(n).filter(isUp);
  const out: ReplicaTarget[] = [];
  for (const p of primaries) {
    if (isUp(p)) {
      out.push({ node: p, primary: true });
      continue;
    }
    const fallback = spares.shift();
    if (fallback !== undefined) out.push({ node: fallback, primary: false, hintFor: p });
  }
  return out;
}

/** The next up node beyond the first N that is not already used: a stand-in for a primary that timed out. */
export function nextFallback(walk: readonly string[], n: number, used: ReadonlySet<string>, isUp: (id: string) => boolean): string | undefined {
  return walk.slice(n).find((id) => !used.has(id) && isUp(id));
}
