import type { Store, StoreOp, StoreRange } from '@ringkv/core';
import { StoreFullError, compareBytes, type MemoryStore } from '@ringkv/storage';
import type { SimProcess } from './sim-process.js';
import { levelCorruption, readsDamaged, scanCrosses, storeStopped, type TableDamage } from './table-damage.js';

/**
 * A node's disk in the simulator: a MemoryStore whose operations complete
 * after a simulated delay, and never for a process that died meanwhile (as a
 * killed process never sees its last writes complete).
 */
export class SimStore implements Store {
  private failedFull = false;

  constructor(
    readonly memory: MemoryStore,
    private readonly proc: SimProcess,
    private readonly delayMs: () => number,
    /** the disk has no room: writes fail and change nothing */
    private readonly full: () => boolean = () => false,
    /** a table block LevelDB finds damaged (table-damage.ts) */
    private readonly damage: () => TableDamage | undefined = () => undefined,
  ) {}

  private wait(): Promise<void> {
    return new Promise((resolve) => this.proc.after(this.delayMs(), resolve));
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    await this.wait();
    const value = await this.memory.get(key);
    const d = this.damage();
    if (d !== undefined && readsDamaged(d, key, value)) throw levelCorruption();
    return value;
  }

  async write(ops: readonly StoreOp[], options?: { readonly sync?: boolean }): Promise<void> {
    if (this.full() || this.failedFull) {
      // As LevelDB: after a write failed for want of space, every later one fails until the store is reopened.
      this.failedFull = true;
      await this.wait();
      throw new StoreFullError('sim', { cause: Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' }) });
    }
    if (this.damage()?.writesStopped === true) {
      await this.wait();
      throw storeStopped();
    }
    // The write reaches the OS (the memory store) at once; the caller learns of it later.
    const done = this.memory.write(ops, options);
    await this.wait();
    await done;
  }

  async *iterate(range: StoreRange): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    await this.wait();
    const d = this.damage();
    // where the scan meets a damaged block, if it does: LevelDB fails there, after what came before it
    const blockAt = d !== undefined && scanCrosses(d, range) ? d.gte : undefined;
    let count = 0;
    for await (const entry of this.memory.iterate(range)) {
      if (blockAt !== undefined && compareBytes(entry[0], blockAt) >= 0) throw levelCorruption();
      count++;
      yield entry;
    }
    if (blockAt !== undefined && (range.limit === undefined || count < range.limit)) throw levelCorruption();
  }

  async close(): Promise<void> {
    await this.memory.close();
  }
}
