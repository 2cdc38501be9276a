/**
 * Offline repair of a data directory whose LevelDB tables are damaged in a
 * way LevelDB itself notices ("Corruption: corrupted compressed block
 * contents", a bad block handle): reads of keys in the block fail, every scan
 * over it fails — the node cannot build that partition's Merkle tree — and
 * the first compaction to read it stops all writes. Checksums on records
 * (record-envelope.ts) catch damage LevelDB does not see; this is for the
 * damage it does. LevelDB's RepairDB rebuilds the directory from every table
 * and log it can still read, dropping what it cannot. What is dropped comes
 * back from the other replicas: the node starts with a new actor epoch (the
 * lost records may have held dots of its current one) and in recovery (no
 * reads of its own copies until anti-entropy, comparing trees that no longer
 * count them, has fetched them from every fellow: recovery-flag.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Clock } from '@ringkv/core';
import { dataRange, hintRange } from './keys.js';
import { LevelStore } from './level-store.js';
import { forgetCleanShutdown } from './node-identity.js';
import { markStoreLostData } from './recovery-flag.js';

export interface StoreRepairOutcome {
  /** records and hints readable after the repair */
  readonly records: number;
  readonly hints: number;
  readonly ms: number;
}

export async function repairStore(dir: string, clock: Pick<Clock, 'now'> = Date): Promise<StoreRepairOutcome> {
  if (!existsSync(join(dir, 'CURRENT'))) throw new Error(`${dir} holds no LevelDB store (no CURRENT file)`);
  const started = clock.now();
  // Refuses (StoreLockedError) while a node has the directory open: repairing under it would lose its writes.
  await (await LevelStore.open(dir)).close();
  await ClassicLevel.repair(dir);
  const store = await LevelStore.open(dir);
  try {
    await forgetCleanShutdown(store);
    await markStoreLostData(store);
    let records = 0;
    for await (const _ of store.iterate(dataRange())) records++;
    let hints = 0;
    for await (const _ of store.iterate(hintRange())) hints++;
    return { records, hints, ms: clock.now() - started };
  } finally {
    await store.close();
  }
}
