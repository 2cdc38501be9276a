/**
 * A LevelDB table block that LevelDB itself finds damaged (a bit flipped in
 * a compressed block: "Corruption: corrupted compressed block contents"), on
 * a simulated disk. As measured on classic-level 3.0: a read of a key whose
 * newest version sits in the block fails with LEVEL_CORRUPTION, every scan
 * over the block fails, and once a compaction has read the block LevelDB
 * refuses every write (its background error) — until the operator stops the
 * node and runs `ringkv repair-store`, which keeps what LevelDB can read,
 * drops the block's records, and leaves the node to start with a new actor
 * epoch and in recovery.
 */
import type { StoreRange } from '@ringkv/core';
import { StoreDamagedError, compareBytes, dataRange, forgetCleanShutdown, markStoreLostData, type MemoryStore } from '@ringkv/storage';

export interface TableDamage {
  /** the records in the block: their keys and the stored bytes they held when the block was damaged */
  readonly records: ReadonlyMap<string, { readonly key: Uint8Array; readonly value: Uint8Array }>;
  readonly gte: Uint8Array;
  /** the last key in the block (inclusive) */
  readonly last: Uint8Array;
  /** a compaction read the block: LevelDB refuses every write */
  writesStopped: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function levelCorruption(): Error {
  return Object.assign(new Error('Corruption: corrupted compressed block contents'), { code: 'LEVEL_CORRUPTION' });
}

export function storeStopped(): StoreDamagedError {
  return new StoreDamagedError('sim', { cause: levelCorruption() });
}

/**
 * Whether a read of `key` needs the damaged block: its newest version is the
 * one in the block (a version written since sits in a newer table, and reads fine).
 */
export function readsDamaged(d: TableDamage, key: Uint8Array, current: Uint8Array | undefined): boolean {
  const held = d.records.get(hex(key));
  return held !== undefined && current !== undefined && Buffer.compare(held.value, current) === 0;
}

/** Whether a scan of `range` must read the block (it fails there, whatever is newer). */
export function scanCrosses(d: TableDamage, range: StoreRange): boolean {
  return (range.gte === undefined || compareBytes(d.last, range.gte) >= 0) && (range.lt === undefined || compareBytes(d.gte, range.lt) < 0);
}

/** Picks 1-4 consecutive data records of the disk as the damaged block; undefined when it holds none. */
export async function damageTable(memory: MemoryStore, choose: (n: number) => number): Promise<TableDamage | undefined> {
  const all: [Uint8Array, Uint8Array][] = [];
  for await (const [key, value] of memory.iterate(dataRange())) all.push([key, value]);
  if (all.length === 0) return undefined;
  const from = choose(all.length);
  const block = all.slice(from, from + 1 + choose(4));
  const first = block[0] as [Uint8Array, Uint8Array];
  const lastEntry = block[block.length - 1] as [Uint8Array, Uint8Array];
  return {
    records: new Map(block.map(([key, value]) => [hex(key), { key, value }])),
    gte: first[0],
    last: lastEntry[0],
    writesStopped: false,
  };
}

/**
 * The operator's `ringkv repair-store` on the stopped node's disk: the block's
 * records whose newest version is still the damaged one are dropped (RepairDB
 * keeps what newer tables hold), the next start takes a new epoch and
 * recovers. Returns the storage keys dropped.
 */
export async function repairTable(memory: MemoryStore, d: TableDamage): Promise<Uint8Array[]> {
  const dropped: Uint8Array[] = [];
  for (const { key } of d.records.values()) {
    if (readsDamaged(d, key, await memory.get(key))) dropped.push(key);
  }
  await memory.write(
    dropped.map((key) => ({ type: 'del', key })),
    { sync: true },
  );
  await forgetCleanShutdown(memory);
  await markStoreLostData(memory);
  return dropped;
}
