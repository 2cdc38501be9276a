import { claim, partitionOfKey, preferenceList, ringWalk, type Ring } from '@ringkv/core';

/**
 * The ring a local cluster of `nodes` nodes (ids n1..nK, weight 1) computes,
 * so a test can pick keys by where they live. Valid while ownership is a pure
 * function of the member set (see ClusterView.recompute).
 */
export class RingLayout {
  readonly ring: Ring;

  constructor(
    nodes: number,
    readonly n: number,
    readonly partitionCount = 256,
  ) {
    const members = Array.from({ length: nodes }, (_, i) => ({ id: `n${i + 1}`, weight: 1 }));
    this.ring = claim(undefined, members, partitionCount, n);
  }

  /** The key's N primaries, first one first. */
  primaries(key: string): string[] {
    return preferenceList(this.ring, partitionOfKey(Buffer.from(key, 'utf8'), this.partitionCount), this.n);
  }

  /** Every node in ring order from the key's partition: after the N primaries, its fallbacks in order. */
  walk(key: string): string[] {
    return ringWalk(this.ring, partitionOfKey(Buffer.from(key, 'utf8'), this.partitionCount));
  }

  /** The first key `<prefix>-<i>` whose walk satisfies `accept`. */
  findKey(prefix: string, accept: (walk: string[]) => boolean): string {
    for (let i = 0; i < 100_000; i++) {
      const key = `${prefix}-${i}`;
      if (accept(this.walk(key))) return key;
    }
    throw new Error(`no key with prefix ${prefix} fits`);
  }
}
