/**
 * The hinted copies this replica keeps for primaries that were down (hinted
 * handoff): versions merged in for a primary, and forgotten once it has
 * acknowledged them. A fallback's own writes to a hinted copy number dots,
 * so they are in local-writes.ts; delivering hints is hinted-handoff.ts.
 */
import { dotsMaxCounter, mergeRecords, recordEquals, type KvRecord } from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import type { ActorRenewal } from './actor-renewal.js';
import type { CounterFloor } from './counter-floor.js';
import { encodeHint } from './hint-record.js';
import type { ReplicaOptions, ReplicaStats } from './replica-service.js';
import type { StoredCopies } from './stored-copies.js';

/** What the hinted copies use of their replica (ReplicaService). */
export interface HintHost {
  readonly store: Pick<ReplicaStore, 'putHintBytes' | 'deleteHint' | 'syncBarrier'>;
  readonly stats: Pick<ReplicaStats, 'hintsStored' | 'hintsCompleted'>;
  withKeyLock<T>(partition: number, key: Uint8Array, fn: () => Promise<T>): Promise<T>;
  /** what is kept of a record (ReplicaService.settle) */
  settle(key: Uint8Array, rec: KvRecord): KvRecord;
  /** whether a write is fsynced */
  sync(durable: boolean): boolean;
}

export class HintedCopies {
  constructor(
    private readonly host: HintHost,
    private readonly copies: Pick<StoredCopies, 'loadHint'>,
    private readonly floor: Pick<CounterFloor, 'raise'>,
    private readonly actors: Pick<ActorRenewal, 'actor'>,
    private readonly options: Pick<ReplicaOptions, 'syncWrites'>,
  ) {}

  /** Keeps a version for a down primary (`target`) until it can be handed over. */
  async merge(partition: number, key: Uint8Array, incoming: KvRecord, target: string, durable = false): Promise<void> {
    await this.host.withKeyLock(partition, key, async () => {
      const current = await this.copies.loadHint(partition, key);
      const record = this.host.settle(key, current === undefined ? incoming : mergeRecords(current.record, incoming));
      const targets = new Set(current?.targets ?? []);
      targets.add(target);
      if (current !== undefined && recordEquals(current.record, record) && targets.size === current.targets.length) {
        if (durable) await this.host.store.syncBarrier();
        return;
      }
      this.host.stats.hintsStored++;
      await this.host.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record }), { sync: this.host.sync(durable) });
    });
  }

  /**
   * The primary `target` acknowledged `sent`. Forget the hint for it unless a
   * newer write merged into the hint meanwhile (that one still has to go).
   * When no target is left the hint is deleted — after raising the counter
   * floor above every dot of ours it holds.
   */
  async complete(partition: number, key: Uint8Array, target: string, sent: KvRecord): Promise<void> {
    await this.host.withKeyLock(partition, key, async () => {
      const current = await this.copies.loadHint(partition, key);
      if (current === undefined || !recordEquals(current.record, sent)) return;
      const targets = current.targets.filter((t) => t !== target);
      this.host.stats.hintsCompleted++;
      if (targets.length > 0) {
        await this.host.store.putHintBytes(partition, key, encodeHint({ targets, record: current.record }), { sync: this.options.syncWrites });
        return;
      }
      await this.floor.raise(dotsMaxCounter(current.record.history, this.actors.actor));
      await this.host.store.deleteHint(partition, key, { sync: this.options.syncWrites });
    });
  }
}
