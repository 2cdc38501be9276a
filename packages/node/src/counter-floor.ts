/**
 * The counter floor: no new dot of this replica is numbered at or below it.
 * A copy holding our dots may be forgotten (a delivered hint, a collected
 * tombstone, a dropped partition); the floor is raised past them first, and
 * persisted, so the next write of that key cannot number one of them again.
 */
import { dotsMaxCounter, type KvRecord } from '@ringkv/core';
import { CorruptMetaError, type ReplicaStore } from '@ringkv/storage';

const counterFloorMeta = 'counter-floor';

export class CounterFloor {
  private counterFloor = 0;

  constructor(private readonly store: Pick<ReplicaStore, 'readMeta' | 'putMeta'>) {}

  /**
   * Loads the floor a previous run persisted (it must survive restarts).
   * Throws CorruptMetaError when the stored floor fails its checksum or is not
   * a counter: reading it as 0 would let this actor number forgotten dots again.
   */
  async load(): Promise<void> {
    const read = await this.store.readMeta(counterFloorMeta, (bytes) => {
      const text = new TextDecoder().decode(bytes);
      const floor = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(floor)) throw new CorruptMetaError(counterFloorMeta, `not a counter: ${JSON.stringify(text.slice(0, 20))}`);
      return floor;
    });
    if (read !== undefined) this.counterFloor = read.value;
  }

  /** Starts over at 0 (persisted): only under an actor that has numbered nothing yet, which no forgotten dot can carry. */
  async reset(): Promise<void> {
    this.counterFloor = 0;
    await this.store.putMeta(counterFloorMeta, new TextEncoder().encode('0'), { sync: true });
  }

  /** The floor for writing one of a key's two local copies: past `actor`'s dots in the other copy too. */
  beside(other: KvRecord | undefined, actor: string): number {
    return Math.max(this.counterFloor, other === undefined ? 0 : dotsMaxCounter(other.history, actor));
  }

  /** Persists (synced) a new floor before anything carrying our dots is forgotten. */
  async raise(counter: number): Promise<void> {
    if (counter <= this.counterFloor) return;
    this.counterFloor = counter;
    await this.store.putMeta(counterFloorMeta, new TextEncoder().encode(String(counter)), { sync: true });
  }
}
