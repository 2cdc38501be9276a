import { claim, partitionOfKey, preferenceList } from '@ringkv/core';

/** The key the anti-entropy benchmark writes at index `i`. */
export function aeBenchKey(i: number): string {
  return `ae-${i}`;
}

/**
 * Indexes (0..count−1) of the keys of which `replica` is one of the N
 * primaries, in a local cluster of `nodes` nodes n1..nK of weight 1 — the ring
 * every node computes while ownership is a pure function of the member set.
 */
export function keysReplicatedBy(replica: string, count: number, nodes: number, n: number, partitionCount: number): number[] {
  const members = Array.from({ length: nodes }, (_, i) => ({ id: `n${i + 1}`, weight: 1 }));
  const ring = claim(undefined, members, partitionCount, n);
  const holds = Array.from({ length: partitionCount }, (_, p) => preferenceList(ring, p, n).includes(replica));
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (holds[partitionOfKey(Buffer.from(aeBenchKey(i), 'utf8'), partitionCount)] === true) out.push(i);
  }
  return out;
}

/** About `fraction` of `items` (at least one when there are any), spread evenly over the list. */
export function pickEvenly<T>(items: readonly T[], fraction: number): T[] {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1] (got ${fraction})`);
  if (items.length === 0) return [];
  const count = Math.max(1, Math.round(items.length * fraction));
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)] as T);
}
