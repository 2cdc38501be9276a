/**
 * The scrub: reads every stored record, checking its checksum, by rebuilding
 * each partition's Merkle tree from the store (a corrupt copy is reported,
 * left out of the tree and repaired; see corrupt-records.ts). Catches the
 * damage of keys nobody reads, which reads and writes would never meet — as
 * Riak rebuilds its AAE trees, and for the same reason. One partition at a
 * time: its writes wait only while its own tree is rebuilt. Records written
 * before checksums get their envelope on the way; the pace is bounded
 * (`--scrub-rate`) so that the scrub leaves the node its CPU.
 */
import type { Clock } from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import type { Logger } from './logger.js';
import type { PartitionTrees } from './partition-trees.js';
import type { ReplicaService } from './replica-service.js';

/** What one scrub found. */
export interface ScrubOutcome {
  readonly partitions: number;
  readonly records: number;
  readonly corrupt: number;
  /** records stored before checksums, given their envelope */
  readonly resealed: number;
  readonly ms: number;
}

export interface StoreScrubDeps {
  readonly trees: Pick<PartitionTrees, 'build'>;
  readonly replica: Pick<ReplicaService, 'reseal'>;
  readonly store: Pick<ReplicaStore, 'scanHints'>;
  /** damaged copies (records and hints) found so far by the node, any way */
  readonly corruptFound: () => number;
  /** told of every record read, as a tree build at start tells it */
  readonly observe: (partition: number, key: Uint8Array, bytes: Uint8Array) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly partitionCount: number;
  /** records read per second at most (0: as fast as it can) */
  readonly recordsPerSec: number;
  readonly stopped: () => boolean;
}

export class StoreScrub {
  private running: Promise<ScrubOutcome> | undefined;

  constructor(private readonly deps: StoreScrubDeps) {}

  /** Scrubs now, or joins the scrub under way. */
  run(): Promise<ScrubOutcome> {
    this.running ??= this.scrub().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once no scrub runs (a stopping node ends one at its next step). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async scrub(): Promise<ScrubOutcome> {
    const { trees, replica, store, clock, logger, partitionCount: count, stopped } = this.deps;
    const started = clock.now();
    const before = this.deps.corruptFound();
    let records = 0;
    let partitions = 0;
    let resealed = 0;
    let resealRefused = false;
    for (let p = 0; p < count && !stopped(); p++) {
      const legacy: Uint8Array[] = [];
      records += await trees.build(p, (q, key, bytes, old) => {
        this.deps.observe(q, key, bytes);
        if (old) legacy.push(key);
      });
      // After the build (which holds the partition's writes): records written before checksums get theirs.
      // A store that refuses writes (full, stopped) ends the resealing, not the checking.
      for (const key of legacy) {
        if (stopped() || resealRefused) break;
        try {
          if (await replica.reseal(p, key)) resealed++;
        } catch (err) {
          resealRefused = true;
          logger.warn({ err: String(err) }, 'scrub: could not give records written before checksums their envelope; it goes on checking');
        }
      }
      partitions++;
      await this.keepPace(records, started);
      if (partitions % Math.max(1, Math.floor(count / 4)) === 0 && partitions < count) {
        logger.info({ partitions, of: count, records }, `scrub ${Math.round((100 * partitions) / count)}% done`);
      }
    }
    // hints are checked too: their scan reports what fails
    for await (const _ of store.scanHints()) if (stopped()) break;
    const corrupt = this.deps.corruptFound() - before;
    const outcome = { partitions, records, corrupt, resealed, ms: clock.now() - started };
    logger[corrupt > 0 ? 'warn' : 'info'](outcome, `scrub done: ${records} records checked, ${corrupt} corrupt${resealed > 0 ? `, ${resealed} written before checksums given one` : ''}`);
    return outcome;
  }

  /**
   * Waits until `records` are no more than the rate allows since `started`.
   * Between partitions, never inside one (its writes wait while its tree is
   * built): at full speed a scrub takes a core, and on a 2-core machine cut
   * reads through another node by two thirds. Slept in steps of at most a
   * second, so that stopping the node does not wait for it.
   */
  private async keepPace(records: number, started: number): Promise<void> {
    const { recordsPerSec: rate, clock, stopped } = this.deps;
    if (rate <= 0) return;
    for (let ahead = (records / rate) * 1000 - (clock.now() - started); ahead > 0 && !stopped(); ahead = (records / rate) * 1000 - (clock.now() - started)) {
      await new Promise<void>((resolve) => clock.setTimer(Math.min(ahead, 1000), resolve));
    }
  }
}
