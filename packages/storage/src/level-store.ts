/**
 * The production `Store`: one LevelDB database (classic-level) per node.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { IteratorOptions } from 'classic-level';
import type { Store, StoreOp, StoreRange } from '@ringkv/core';
import { asPlainBytes, copyBytes } from './bytes.js';
import { claimDir, releaseDir } from './dir-claims.js';
import { StoreClosedError, StoreDamagedError, StoreFullError, StoreLockedError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import type { GroupCommitOptions } from './group-commit.js';
import { checkKey, checkOps, checkRange } from './store-input.js';
import { chooseTableReads, mappedTableFiles } from './table-reads.js';
import type { TableReads } from './table-reads.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

export interface LevelStoreOptions {
  /** LevelDB block cache (LevelDB default 8 MiB). */
  readonly cacheBytes?: number;
  /**
   * Table files LevelDB keeps open (LevelDB default 1 000). With `tableReads:
   * 'mmap'` each open table is memory-mapped, and the pages a read touches
   * count in the process's RSS; fewer open tables bound that at the cost of
   * reopening a table (its index and filter) on a miss.
   */
  readonly maxOpenFiles?: number;
  /**
   * How table files are read (default `pread`; see `table-reads.ts`). Decided
   * by the first store the process opens; `tableReads` on the store says
   * which mode is in force.
   */
  readonly tableReads?: TableReads;
  /** LevelDB memtable size before it is flushed to a table file (default 4 MiB). */
  readonly writeBufferBytes?: number;
  /** Limits on coalesced batches; see `GroupCommit`. */
  readonly groupCommit?: Pick<GroupCommitOptions<StoreOp>, 'groupOpsMax' | 'groupBytesMax'>;
}

// Entries fetched per native call while iterating, bounded in bytes too so a
// scan over 1 MiB values does not pull a thousand of them into memory at once.
const iterateChunkEntries = 1000;
const iterateChunkBytesMax = 1024 * 1024;

export class LevelStore implements Store {
  readonly #db: Db;
  readonly #groupCommit: GroupCommit<StoreOp>;
  #closed = false;
  #refusedFull = 0;
  #refusedDamaged = 0;

  private constructor(
    /** The absolute, symlink-free data directory. */
    readonly dir: string,
    db: Db,
    options: LevelStoreOptions,
    /** How this process's LevelDB reads table files (the mode in force, not the one asked for). */
    readonly tableReads: TableReads,
  ) {
    this.#db = db;
    this.#groupCommit = new GroupCommit<StoreOp>((ops, sync) => this.#batch(ops, sync), {
      ...options.groupCommit,
      bytesOf: (op) => op.key.length + (op.type === 'put' ? op.value.length : 0),
    });
  }

  /**
   * Opens (creating if missing) the database in `dir`.
   * Throws `StoreLockedError` if another process or store holds it.
   */
  static async open(dir: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    await mkdir(dir, { recursive: true });
    const realDir = await realpath(resolve(dir));
    if (!claimDir(realDir)) throw new StoreLockedError(realDir);
    const tableReads = chooseTableReads(options.tableReads ?? 'pread');
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(realDir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: true,
      ...(options.cacheBytes !== undefined && { cacheSize: options.cacheBytes }),
      ...(options.maxOpenFiles !== undefined && { maxOpenFiles: options.maxOpenFiles }),
      ...(options.writeBufferBytes !== undefined && { writeBufferSize: options.writeBufferBytes }),
    });
    try {
      await db.open();
    } catch (error) {
      releaseDir(realDir);
      if (isLockedError(error)) throw new StoreLockedError(realDir, { cause: error });
      throw error;
    }
    return new LevelStore(realDir, db, options, tableReads);
  }

  /** Table files of this store mapped into the process now (Linux), else undefined. */
  mappedTableFiles(): number | undefined {
    return mappedTableFiles(this.dir);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key, 'get');
    this.#assertOpen('get');
    // Synchronous on purpose: a point read of a cached block costs a few
    // microseconds, while the async path hops to libuv's thread pool and back
    // (a futex wake and a context switch per read) — on a 2-core box that hop
    // cost a fifth of a node's CPU under a read-heavy load. A read that misses
    // the OS page cache does block the event loop for one disk read.
    const value = this.#db.getSync(key);
    return value === undefined ? undefined : asPlainBytes(value);
  }

  write(ops: readonly StoreOp[], options: { readonly sync?: boolean } = {}): Promise<void> {
    try {
      checkOps(ops);
      this.#assertOpen('write');
    } catch (error) {
      return Promise.reject(error);
    }
    const sync = options.sync === true;
    // An empty unsynced batch changes nothing; an empty synced one is still a
    // durability barrier for everything written before it.
    if (ops.length === 0 && !sync) return Promise.resolve();
    // Copy now: the batch reaches LevelDB a microtask later (group commit),
    // and the caller may reuse its buffers as soon as `write` returns.
    const owned = ops.map(copyOp);
    return this.#groupCommit.write(owned, sync);
  }

  async *iterate(range: StoreRange): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
    checkRange(range);
    this.#assertOpen('iterate');
    const options: IteratorOptions<Uint8Array, Uint8Array> = { highWaterMarkBytes: iterateChunkBytesMax };
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.limit !== undefined && range.limit !== Infinity) options.limit = range.limit;
    // The LevelDB iterator reads from an implicit snapshot taken here, at the
    // first `next()`: later writes are not seen by this iteration.
    const iterator = this.#db.iterator(options);
    try {
      for (;;) {
        const entries = await iterator.nextv(iterateChunkEntries);
        if (entries.length === 0) return;
        for (const [key, value] of entries) yield [asPlainBytes(key), asPlainBytes(value)];
      }
    } finally {
      await iterator.close();
    }
  }

  /** LevelDB's estimate of the on-disk bytes in [gte, lt); cheap, no scan. */
  approximateSize(range: { readonly gte: Uint8Array; readonly lt: Uint8Array }): Promise<number> {
    this.#assertOpen('approximateSize');
    return this.#db.approximateSize(range.gte, range.lt);
  }

  /**
   * Compacts [gte, lt) now: LevelDB otherwise keeps deleted and overwritten
   * entries on disk until its own compactions reach them (after an expiry
   * purge that can be most of the store).
   */
  compactRange(gte: Uint8Array, lt: Uint8Array): Promise<void> {
    this.#assertOpen('compactRange');
    return this.#db.compactRange(gte, lt);
  }

  /**
   * Counts of calls to `write` and of LevelDB batches they became.
   * `refusedFull`: batches LevelDB refused for want of disk space. Once one
   * was, LevelDB refuses every later write until the store is reopened, and a
   * node hands its writes to other replicas (clients may see nothing), so this
   * is how an operator learns that the node needs space and a restart.
   * `refusedDamaged`: batches refused because LevelDB stopped after reading a
   * damaged table block (StoreDamagedError): every later write is refused too,
   * until `ringkv repair-store` has run on the stopped node.
   */
  get writeStats(): { readonly writes: number; readonly batches: number; readonly syncedBatches: number; readonly refusedFull: number; readonly refusedDamaged: number } {
    return { ...this.#groupCommit.stats, refusedFull: this.#refusedFull, refusedDamaged: this.#refusedDamaged };
  }

  /** Waits for pending writes, then closes LevelDB and releases the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#groupCommit.drain();
      await this.#db.close();
    } finally {
      releaseDir(this.dir);
    }
  }

  #batch(ops: readonly StoreOp[], sync: boolean): Promise<void> {
    // A chained batch, not `db.batch(array)`: abstract-level's array form
    // copies, checks and re-encodes every operation in JS before the native
    // call, which measured twice the CPU of the chained form for an 8-op
    // batch (154 vs 76 µs; ~10 µs per op on every replica write).
    const batch = this.#db.batch();
    try {
      for (const op of ops) {
        if (op.type === 'put') batch.put(op.key, op.value);
        else batch.del(op.key);
      }
    } catch (error) {
      // Not reached for ops `write` checked; a batch left open would hold its memory until close.
      return batch.close().then(() => Promise.reject(error));
    }
    return batch
      .write({ sync })
      .catch((error: unknown) => {
        // A full disk and a store LevelDB stopped get their own errors, so the node hands the write
        // to another replica and answers 507 / 503 with what to do, instead of a bare 500.
        if (isNoSpaceError(error)) {
          this.#refusedFull++;
          throw new StoreFullError(this.dir, { cause: error });
        }
        if (hasCode(error, 'LEVEL_CORRUPTION')) {
          this.#refusedDamaged++;
          throw new StoreDamagedError(this.dir, { cause: error });
        }
        throw error;
      });
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new StoreClosedError(`LevelStore.${what} (${this.dir})`);
  }
}

function copyOp(op: StoreOp): StoreOp {
  return op.type === 'put'
    ? { type: 'put', key: copyBytes(op.key), value: copyBytes(op.value) }
    : { type: 'del', key: copyBytes(op.key) };
}

/** LevelDB reports ENOSPC as LEVEL_IO_ERROR carrying the OS message. */
function isNoSpaceError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as Error & { code?: unknown }).code === 'ENOSPC' || /No space left on device/i.test(e.message)) return true;
  }
  return false;
}

/** classic-level wraps LevelDB's lock failure: LEVEL_DATABASE_NOT_OPEN caused by LEVEL_LOCKED. */
function isLockedError(error: unknown): boolean {
  return hasCode(error, 'LEVEL_LOCKED');
}

/** Whether the error, or one of its causes, carries `code`. */
function hasCode(error: unknown, code: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as Error & { code?: unknown }).code === code) return true;
  }
  return false;
}
