/**
 * New versions created on this replica as a key's coordinator (client
 * writes, counter increments), on its data record or, as a fallback, its
 * hinted copy. All dot numbering is here: a new dot is numbered past every
 * dot of ours in both local copies of the key and above the counter floor,
 * under the key's lock, so no dot is ever numbered twice.
 */
import {
  applyLwwWrite,
  applyWrite,
  dotsMaxCounter,
  emptyDots,
  InvariantViolation,
  RingkvError,
  type Dot,
  type Dots,
  type KvRecord,
  type LwwPrefixes,
  type WriteRequest,
  type WriteResult as VersionedWrite,
} from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import type { ActorRenewal } from './actor-renewal.js';
import type { CounterFloor } from './counter-floor.js';
import { encodeHint } from './hint-record.js';
import type { ReplicaOptions, ReplicaStats } from './replica-service.js';
import type { StoredCopies } from './stored-copies.js';

/** A client write as the coordinating replica applies it. */
export interface LocalWrite {
  readonly context: Dots;
  /** null deletes (writes a tombstone) */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  readonly writtenAt: number;
  /** the new version's deadline (coordinator clock ms), from the client's ?ttl */
  readonly expiresAt?: number;
}

/**
 * Builds a computed write's version from the key's local copies and the dot
 * it will get: this replica's actor as of now (it may have been renewed while
 * the copies were read) and its counter.
 */
export type ComputeWrite = (
  local: { readonly data: KvRecord | undefined; readonly hint: KvRecord | undefined },
  dot: Dot,
) => Omit<LocalWrite, 'context'>;

/** A write applied here: the new record, the writer's context, the new dot and the delta the others are sent. */
export type LocalWriteResult = VersionedWrite;

/** What new versions use of their replica (ReplicaService). */
export interface WriteHost {
  readonly store: Pick<ReplicaStore, 'putHintBytes'>;
  readonly stats: Pick<ReplicaStats, 'writesCoordinated' | 'hintsStored'>;
  readonly lww: LwwPrefixes;
  withKeyLock<T>(partition: number, key: Uint8Array, fn: () => Promise<T>): Promise<T>;
  /** what is kept of a record (ReplicaService.settle) */
  settle(key: Uint8Array, rec: KvRecord): KvRecord;
  /** the one way a data record changes (ReplicaService.storeData: the Merkle tree and tombstone GC follow) */
  storeData(partition: number, key: Uint8Array, before: Uint8Array | undefined, record: KvRecord | undefined, durable: boolean): Promise<void>;
  /** whether a write is fsynced */
  sync(durable: boolean): boolean;
}

export class LocalWrites {
  constructor(
    private readonly host: WriteHost,
    private readonly copies: Pick<StoredCopies, 'loadData' | 'loadHint'>,
    private readonly floor: Pick<CounterFloor, 'beside'>,
    private readonly actors: Pick<ActorRenewal, 'actor' | 'markUsed'>,
    private readonly options: Pick<ReplicaOptions, 'siblingsMax'>,
  ) {}

  /**
   * Creates a new version of the key as its coordinator: the event gets a dot
   * of this replica's actor, numbered after every dot of that actor the local
   * record has seen (and above the counter floor), and is stored before anyone
   * else hears of it. A fallback (`hintFor` set) coordinates on its hinted copy.
   */
  async write(partition: number, key: Uint8Array, w: LocalWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    if (hintFor !== undefined) return this.writeHint(partition, key, w, hintFor, durable);
    return this.host.withKeyLock(partition, key, async () => {
      const { before, current } = await this.copies.loadData(partition, key, 'refuse');
      const hint = await this.copies.loadHint(partition, key);
      const result = this.applyLocal(key, current, { actor: this.actors.actor, counterFloor: this.floorBeside(hint?.record), ...w });
      await this.host.storeData(partition, key, before, result.record, durable);
      this.host.stats.writesCoordinated++;
      return result;
    });
  }

  private async writeHint(partition: number, key: Uint8Array, w: LocalWrite, hintFor: string, durable: boolean): Promise<LocalWriteResult> {
    return this.host.withKeyLock(partition, key, async () => {
      const current = await this.copies.loadHint(partition, key);
      const { current: data } = await this.copies.loadData(partition, key, 'absent');
      const result = this.applyLocal(key, current?.record, { actor: this.actors.actor, counterFloor: this.floorBeside(data), ...w });
      const targets = new Set(current?.targets ?? []);
      targets.add(hintFor);
      await this.host.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record: result.record }), {
        sync: this.host.sync(durable),
      });
      this.host.stats.writesCoordinated++;
      this.host.stats.hintsStored++;
      return result;
    });
  }

  /**
   * A write whose value is computed from what this replica holds of the key
   * (a counter increment). Under the key's lock, `compute` sees both local
   * copies and the dot counter the new version will carry; the new version
   * supersedes everything the written copy holds, so its value must contain
   * all of it (a CRDT join does). A fallback (`hintFor`) writes its hinted copy.
   * `durable` (?dw): fsynced whatever --sync says, as for `write`.
   */
  async writeComputed(partition: number, key: Uint8Array, compute: ComputeWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    return this.host.withKeyLock(partition, key, async () => {
      const { before, current: data } = await this.copies.loadData(partition, key, 'refuse');
      const hint = await this.copies.loadHint(partition, key);
      const written = hintFor === undefined ? data : hint?.record;
      const counterFloor = this.floorBeside(hintFor === undefined ? hint?.record : data);
      const dot = Math.max(written === undefined ? 0 : dotsMaxCounter(written.history, this.actors.actor), counterFloor) + 1;
      const w = compute({ data, hint: hint?.record }, { actor: this.actors.actor, counter: dot });
      const context = written?.history ?? emptyDots();
      const result = this.applyLocal(key, written, { ...w, actor: this.actors.actor, counterFloor, context });
      if (result.dot.counter !== dot) throw new InvariantViolation(`computed write got dot ${result.dot.counter}, expected ${dot}`);
      if (hintFor === undefined) {
        await this.host.storeData(partition, key, before, result.record, durable);
      } else {
        const targets = new Set([...(hint?.targets ?? []), hintFor]);
        await this.host.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record: result.record }), { sync: this.host.sync(durable) });
        this.host.stats.hintsStored++;
      }
      this.host.stats.writesCoordinated++;
      return result;
    });
  }

  /** A new version over what is kept (expired versions are not carried along as siblings); LWW keys supersede all of it. */
  private applyLocal(key: Uint8Array, current: KvRecord | undefined, w: WriteRequest): LocalWriteResult {
    this.actors.markUsed();
    const base = current === undefined ? undefined : this.host.settle(key, current);
    const result = this.host.lww.covers(key) ? applyLwwWrite(base, w) : applyWrite(base, w);
    const siblingsMax = this.options.siblingsMax;
    const after = result.record.siblings.length;
    // Refuse only growth: a write whose context resolves siblings is always welcome.
    if (siblingsMax !== undefined && after > siblingsMax && after > (base?.siblings.length ?? 0)) {
      throw new RingkvError(
        'SIBLINGS_TOO_MANY',
        `the key holds ${after - 1} siblings and this write would add one more (limit ${siblingsMax}); read it and write with its context to resolve them`,
        { siblings: after - 1, limit: siblingsMax },
      );
    }
    return result;
  }

  /** The counter floor for writing one of a key's two local copies: past our dots in the other copy too. */
  private floorBeside(other: KvRecord | undefined): number {
    return this.floor.beside(other, this.actors.actor);
  }
}
