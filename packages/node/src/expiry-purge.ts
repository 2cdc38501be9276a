import type { Clock } from '@ringkv/core';
import type { Logger } from './logger.js';
import { PeriodicTask } from './periodic-task.js';
import type { ReplicaService } from './replica-service.js';

export interface ExpiryPurgeSettings {
  /** pause between two purge rounds */
  readonly intervalMs: number;
  /** index entries read and handled per batch */
  readonly batchCountMax: number;
  /** batches per round at most, so one round never holds the store for long; the rest waits for the next round */
  readonly roundBatchesMax: number;
}

export const expiryPurgeDefaults: ExpiryPurgeSettings = { intervalMs: 1000, batchCountMax: 500, roundBatchesMax: 40 };

export interface ExpiryPurgeStats {
  rounds: number;
  /** index entries handled (deleted), stale ones included */
  entriesHandled: number;
  /** records from which expired versions were dropped */
  recordsPurged: number;
  lastRoundAt: number;
}

/**
 * Drops expired versions from stored records in the background, without
 * scanning the data: the store keeps an index ordered by deadline (keys.ts
 * space 0x05), so a round reads only the entries due before now. Each record
 * is re-read and purged through the replica service (per-key lock, Merkle
 * tree, tombstone GC all follow), then its entry is deleted. Entries may be
 * stale (the record was overwritten or collected): re-reading makes that
 * harmless. A record left with no version is then reaped by tombstone GC.
 *
 * Hinted copies are not indexed: they are settled (expired versions dropped)
 * whenever they are merged into, and the primary drops expired versions when
 * the hint is delivered, after which the hint is deleted.
 */
export class ExpiryPurge {
  readonly stats: ExpiryPurgeStats = { rounds: 0, entriesHandled: 0, recordsPurged: 0, lastRoundAt: 0 };
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: {
      readonly replica: ReplicaService;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly settings: ExpiryPurgeSettings;
    },
  ) {
    this.task = new PeriodicTask(deps.clock, () => deps.settings.intervalMs, () => this.round(), (err) =>
      deps.logger.warn({ err: String(err) }, 'expiry purge round failed'),
    );
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One round: batches of due entries until none is left or the round's budget is spent. Returns records purged. */
  async round(): Promise<number> {
    const { replica, clock, settings } = this.deps;
    this.stats.rounds++;
    let purged = 0;
    for (let batch = 0; batch < settings.roundBatchesMax && !this.task.stopped; batch++) {
      const now = clock.now();
      const due: { expiresAt: number; partition: number; key: Uint8Array }[] = [];
      for await (const e of replica.store.scanExpired(now, settings.batchCountMax)) due.push({ ...e, key: new Uint8Array(e.key) });
      for (const e of due) if (await replica.purgeExpired(e.partition, e.key, now)) purged++;
      await replica.store.deleteExpiryEntries(due);
      this.stats.entriesHandled += due.length;
      if (due.length < settings.batchCountMax) break;
    }
    this.stats.recordsPurged += purged;
    this.stats.lastRoundAt = clock.now();
    return purged;
  }
}
