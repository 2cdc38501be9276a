import type { Clock, KvRecord } from '@ringkv/core';
import type { Logger } from './logger.js';
import { PeriodicTask } from './periodic-task.js';
import type { ReplicaClient } from './replica-client.js';
import type { ReplicaService } from './replica-service.js';

export interface HandoffSettings {
  /** pause between two delivery rounds */
  readonly intervalMs: number;
  /** records per batch sent to one primary (rate limit: batchCountMax / intervalMs per primary) */
  readonly batchCountMax: number;
  readonly requestTimeoutMs: number;
}

export interface HandoffStats {
  delivered: number;
  failedBatches: number;
  lastRoundAt: number;
}

interface Item {
  readonly p: number;
  readonly k: Uint8Array;
  readonly rec: KvRecord;
}

/**
 * Delivers hinted copies to their primaries once those are up again: scans
 * the durable hint queue in rounds, sends each live primary a batch, and
 * forgets a hint only after the primary acknowledged exactly what it holds.
 */
export class HintedHandoff {
  private readonly task: PeriodicTask;
  readonly stats: HandoffStats = { delivered: 0, failedBatches: 0, lastRoundAt: 0 };

  constructor(
    private readonly deps: {
      readonly replica: ReplicaService;
      readonly peers: ReplicaClient;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly isUp: (id: string) => boolean;
      readonly settings: HandoffSettings;
    },
  ) {
    this.task = new PeriodicTask(deps.clock, () => deps.settings.intervalMs, () => this.round(), (err) =>
      deps.logger.warn({ err: String(err) }, 'hinted handoff round failed'),
    );
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One delivery round over the whole queue (a batch per live primary at a time). */
  async round(): Promise<void> {
    const { replica, isUp, settings, clock } = this.deps;
    this.stats.lastRoundAt = clock.now();
    const batches = new Map<string, Item[]>();
    const flush = async (target: string): Promise<void> => {
      const items = batches.get(target) ?? [];
      batches.delete(target);
      if (items.length > 0) await this.deliver(target, items);
    };
    for await (const h of replica.store.scanHints()) {
      if (this.task.stopped) return;
      const hint = await replica.readHint(h.partition, h.key);
      if (hint === undefined) continue;
      for (const target of hint.targets) {
        if (!isUp(target)) continue;
        const list = batches.get(target) ?? [];
        list.push({ p: h.partition, k: h.key, rec: hint.record });
        batches.set(target, list);
        if (list.length >= settings.batchCountMax) await flush(target);
      }
    }
    for (const target of [...batches.keys()]) await flush(target);
  }

  /** Hints pending per primary (one per key held for it). */
  async pendingByTarget(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for await (const h of this.deps.replica.store.scanHints()) {
      const hint = await this.deps.replica.readHint(h.partition, h.key);
      for (const t of hint?.targets ?? []) out[t] = (out[t] ?? 0) + 1;
    }
    return out;
  }

  private async deliver(target: string, items: readonly Item[]): Promise<void> {
    const { peers, replica, settings, logger } = this.deps;
    try {
      await peers.putBatch(target, items, settings.requestTimeoutMs);
    } catch (err) {
      this.stats.failedBatches++;
      logger.debug({ target, err: String(err) }, 'hint delivery failed; will retry');
      return;
    }
    for (const i of items) await replica.completeHint(i.p, i.k, target, i.rec);
    this.stats.delivered += items.length;
  }

}
