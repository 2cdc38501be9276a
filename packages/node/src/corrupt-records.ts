import type { Clock } from '@ringkv/core';
import type { CorruptRecordError } from '@ringkv/storage';
import type { Logger } from './logger.js';
import { partitionKeyId } from './partition-key-id.js';

export interface CorruptRecordStats {
  /** data records found failing their checksum (or not decoding) */
  records: number;
  /** hinted copies found so */
  hints: number;
  /** corrupt copies replaced by what the other replicas hold (or dropped when none holds the key) */
  keysRepaired: number;
  /** Merkle trees rebuilt so their counts leave the lost copies out */
  treesRebuilt: number;
}

export interface CorruptRecordsDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Replaces the key's corrupt copy with what the partition's other replicas
   * hold: 'replaced'; 'intact' when the copy was no longer corrupt; 'retry'
   * when some replica did not answer (the copy stays refused until it does).
   */
  readonly repairKey: (partition: number, key: Uint8Array) => Promise<RepairOutcome>;
  /** pause before trying again a key some replicas did not answer for */
  readonly retryMs: number;
  /** rebuilds one partition's tree from the store (a checked scan: corrupt copies are left out) */
  readonly rebuildTree: (partition: number) => Promise<void>;
}

export type RepairOutcome = 'replaced' | 'intact' | 'retry';

/** Keys waiting for their repair, at most; beyond it anti-entropy finds them (the rebuilt trees no longer count them). */
const pendingKeysMax = 10_000;

/**
 * What the node does about a stored copy the disk corrupted (record-envelope.ts
 * detects it, ReplicaService refuses to serve it and renews the actor): count
 * and log it, rebuild the partition's Merkle tree — which still counts the
 * copy as it was before the disk changed it, so anti-entropy would see nothing
 * to repair — and fetch the key from the other replicas at once, as a read
 * repair would. Riak's AAE and Cassandra's scrub/repair do the same with
 * coarser steps; neither serves the bad bytes meanwhile, nor does this node.
 */
export class CorruptRecords {
  readonly stats: CorruptRecordStats = { records: 0, hints: 0, keysRepaired: 0, treesRebuilt: 0 };
  private readonly treesDue = new Set<number>();
  private readonly keysDue = new Map<string, { partition: number; key: Uint8Array }>();
  private working: Promise<void> | undefined;
  private stopped = false;
  private readonly retries = new Map<string, () => void>();
  private repairing: string | undefined;

  constructor(private readonly deps: CorruptRecordsDeps) {}

  /** A stored copy was found corrupt (any path: a read, a write, a scan). */
  found(error: CorruptRecordError): void {
    // Met again before its repair (the tree rebuild's scan, a read, a retry's wait): already counted and queued.
    const id = idOf(error.partition, error.key);
    if (error.kind === 'record' && (this.repairing === id || this.keysDue.has(id) || this.retries.has(id))) return;
    if (error.kind === 'record') this.stats.records++;
    else this.stats.hints++;
    const keyHex = Buffer.from(error.key).toString('hex').slice(0, 128);
    const leveldbFound = (error.cause as { code?: unknown } | undefined)?.code === 'LEVEL_CORRUPTION';
    this.deps.logger.error(
      { partition: error.partition, key: keyHex, kind: error.kind },
      leveldbFound
        ? `stored ${error.kind} unreadable: LevelDB found the table block holding it damaged; not served, repairing it from the other replicas` +
            ' (the block stays damaged: stop this node and run `ringkv repair-store --data DIR` when you can)'
        : `stored ${error.kind} failed its checksum: not served, repairing it from the other replicas`,
    );
    if (error.kind === 'record') {
      this.treesDue.add(error.partition);
      this.due(error.partition, new Uint8Array(error.key));
    }
    // A lost hint needs no tree: its data is the primaries' to hold, and anti-entropy brings it to them.
    this.kick();
  }

  private due(partition: number, key: Uint8Array): void {
    if (this.keysDue.size < pendingKeysMax) this.keysDue.set(idOf(partition, key), { partition, key });
  }

  private kick(): void {
    if (!this.stopped) this.working ??= this.work().finally(() => (this.working = undefined));
  }

  /** Resolves once every repair asked for so far is done, retries included (tests, the simulator's quiet phase). */
  async settled(): Promise<void> {
    while (!this.stopped && (this.working !== undefined || this.retries.size > 0)) {
      if (this.working !== undefined) await this.working;
      else await new Promise<void>((resolve) => this.deps.clock.setTimer(this.deps.retryMs / 10, resolve));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.retries.values()) cancel();
    this.retries.clear();
    await this.working;
  }

  private retryLater(partition: number, key: Uint8Array): void {
    const id = idOf(partition, key);
    const cancel = this.deps.clock.setTimer(this.deps.retryMs, () => {
      this.retries.delete(id);
      this.due(partition, key);
      this.kick();
    });
    this.retries.set(id, cancel);
  }

  /** Trees first (so anti-entropy sees the loss even when no replica answers now), then the keys. */
  private async work(): Promise<void> {
    // Let the detecting operation finish first (it may hold the key's lock or be inside a tree build).
    await new Promise<void>((resolve) => this.deps.clock.setTimer(0, resolve));
    while (!this.stopped && (this.treesDue.size > 0 || this.keysDue.size > 0)) {
      for (const partition of [...this.treesDue]) {
        this.treesDue.delete(partition);
        await this.deps.rebuildTree(partition).then(
          () => this.stats.treesRebuilt++,
          (err: unknown) => this.deps.logger.warn({ partition, err: String(err) }, 'rebuilding a merkle tree after corruption failed'),
        );
      }
      for (const [id, { partition, key }] of [...this.keysDue]) {
        if (this.stopped) return;
        this.keysDue.delete(id);
        this.repairing = id;
        const outcome = await this.deps
          .repairKey(partition, key)
          .catch((err: unknown): RepairOutcome => {
            this.deps.logger.warn({ partition, err: String(err) }, 'repairing a corrupt record failed; trying again later');
            return 'retry';
          })
          .finally(() => (this.repairing = undefined));
        if (outcome === 'replaced') this.stats.keysRepaired++;
        else if (outcome === 'retry') this.retryLater(partition, key);
      }
    }
  }
}

const idOf = partitionKeyId;
