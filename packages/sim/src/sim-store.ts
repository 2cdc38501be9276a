import type { Store, StoreOp, StoreRange } from '@ringkv/core';
import { StoreFullError, type MemoryStore } from '@ringkv/storage';
import type { SimProcess } from './sim-process.js';

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
  ) {}

  private wait(): Promise<void> {
    return new Promise((resolve) => this.proc.after(this.delayMs(), resolve));
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    await this.wait();
    return this.memory.get(key);
  }

  async write(ops: readonly StoreOp[], options?: { readonly sync?: boolean }): Promise<void> {
    if (this.full() || this.failedFull) {
      // As LevelDB: after a write failed for want of space, every later one fails until the store is reopened.
      this.failedFull = true;
      await this.wait();
      throw new StoreFullError('sim', { cause: Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' }) });
    }
    // The write reaches the OS (the memory store) at once; the caller learns of it later.
    const done = this.memory.write(ops, options);
    await this.wait();
    await done;
  }

  async *iterate(range: StoreRange): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    await this.wait();
    for await (const entry of this.memory.iterate(range)) yield entry;
  }

  async close(): Promise<void> {
    await this.memory.close();
  }
}
