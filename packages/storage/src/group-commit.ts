/**
 * Group commit: coalesces concurrent batch writes into one underlying batch.
 *
 * Why: every LevelDB batch pays a fixed cost (a log record, a thread-pool hop
 * and, with `sync`, an fsync). A node under load issues many small replica
 * writes at once; merging them turns N fixed costs into one.
 *
 * How: the first write in a quiet period schedules a flush on the microtask
 * queue, so every write issued in the same tick joins it. While a flush is in
 * flight, new writes queue up and form the next group. Exactly one underlying
 * batch is in flight at a time, which also gives a guarantee LevelDB alone does
 * not: batches are applied in the order `write` was called (classic-level runs
 * concurrent batches on a thread pool, in no defined order).
 */

export type BatchWriter<Op> = (ops: readonly Op[], sync: boolean) => Promise<void>;

export interface GroupCommitOptions<Op> {
  /** A group stops growing at this many ops (a single caller's batch is never split). */
  readonly groupOpsMax?: number;
  /** A group stops growing at this many bytes, as measured by `bytesOf`. */
  readonly groupBytesMax?: number;
  readonly bytesOf?: (op: Op) => number;
}

interface Pending<Op> {
  readonly ops: readonly Op[];
  readonly sync: boolean;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  /** Calls to `write`. */
  readonly writes: number;
  /** Calls to the underlying writer. */
  readonly batches: number;
  /** Of those, the ones written with sync (fsynced). */
  readonly syncedBatches: number;
}

// LevelDB's own writer grouping caps a group near 1 MiB; beyond that a group
// only adds latency for its first member.
const groupOpsMaxDefault = 4096;
const groupBytesMaxDefault = 1024 * 1024;

export class GroupCommit<Op> {
  readonly #writer: BatchWriter<Op>;
  readonly #groupOpsMax: number;
  readonly #groupBytesMax: number;
  readonly #bytesOf: (op: Op) => number;
  #queue: Pending<Op>[] = [];
  #running = false;
  #idleWaiters: (() => void)[] = [];
  #writes = 0;
  #batches = 0;
  #syncedBatches = 0;

  constructor(writer: BatchWriter<Op>, options: GroupCommitOptions<Op> = {}) {
    this.#writer = writer;
    this.#groupOpsMax = options.groupOpsMax ?? groupOpsMaxDefault;
    this.#groupBytesMax = options.groupBytesMax ?? groupBytesMaxDefault;
    this.#bytesOf = options.bytesOf ?? (() => 0);
    if (!(this.#groupOpsMax >= 1) || !(this.#groupBytesMax >= 1)) {
      throw new RangeError('GroupCommit: group limits must be >= 1');
    }
  }

  /** Resolves once `ops` are written (with `sync`, durably); rejects if their batch failed. */
  write(ops: readonly Op[], sync: boolean): Promise<void> {
    this.#writes++;
    let bytes = 0;
    for (const op of ops) bytes += this.#bytesOf(op);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, sync, bytes, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        queueMicrotask(() => void this.#run());
      }
    });
  }

  /** Resolves when every write issued so far has settled. */
  drain(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  get stats(): GroupCommitStats {
    return { writes: this.#writes, batches: this.#batches, syncedBatches: this.#syncedBatches };
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      await this.#commit(this.#takeGroup());
    }
    this.#running = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #takeGroup(): Pending<Op>[] {
    let ops = 0;
    let bytes = 0;
    let n = 0;
    for (const p of this.#queue) {
      const over = ops + p.ops.length > this.#groupOpsMax || bytes + p.bytes > this.#groupBytesMax;
      if (n > 0 && over) break;
      ops += p.ops.length;
      bytes += p.bytes;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #commit(group: readonly Pending<Op>[]): Promise<void> {
    const only = group[0];
    if (group.length === 1 && only !== undefined) {
      await this.#writeOne(only, only.sync);
      return;
    }
    // One synced member forces an fsync of the whole group: the log is
    // sequential, so syncing the group's record makes all of it durable.
    const sync = group.some((p) => p.sync);
    const ops = group.flatMap((p) => p.ops);
    try {
      this.#count(sync);
      await this.#writer(ops, sync);
    } catch {
      // One caller's bad batch must not fail its neighbours: retry each
      // member alone (each is still atomic) so errors land where they belong.
      for (const p of group) await this.#writeOne(p, sync);
      return;
    }
    for (const p of group) p.resolve();
  }

  #count(sync: boolean): void {
    this.#batches++;
    if (sync) this.#syncedBatches++;
  }

  async #writeOne(p: Pending<Op>, sync: boolean): Promise<void> {
    try {
      this.#count(sync);
      await this.#writer(p.ops, sync);
      p.resolve();
    } catch (error) {
      p.reject(error);
    }
  }
}
