import type { Random } from '@ringkv/core';

const poolBytes = 1 << 20;

/**
 * Values to write: windows into one megabyte of random bytes. Random, so that
 * LevelDB's (and Redis' AOF) compression cannot make a 100-byte value cost
 * less than 100 bytes; windows, so that a write allocates nothing.
 */
export class ValueSource {
  readonly #pool: Buffer;

  constructor(
    readonly valueBytes: number,
    random: Random,
  ) {
    this.#pool = Buffer.alloc(poolBytes + valueBytes);
    for (let i = 0; i < this.#pool.length; i++) this.#pool[i] = random.int(256);
  }

  next(random: Random): Buffer {
    const offset = random.int(poolBytes);
    return this.#pool.subarray(offset, offset + this.valueBytes);
  }
}
