/**
 * Errors raised by the storage layer. Each carries a stable `code` so the node
 * can map it to an exit status or HTTP error in one place (DESIGN §6).
 */

export type StorageErrorCode = 'STORE_LOCKED' | 'STORE_CLOSED' | 'IDENTITY_MISMATCH' | 'CORRUPT_META' | 'CORRUPT_RECORD' | 'STORE_FULL' | 'STORE_DAMAGED';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** Another process (or another store in this process) holds the directory. */
export class StoreLockedError extends StorageError {
  constructor(
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super('STORE_LOCKED', `data directory ${dir} is in use by another ringkv process`, options);
    this.name = 'StoreLockedError';
  }
}

/** The store was closed (or, in memory, crashed) and must not be used again. */
export class StoreClosedError extends StorageError {
  constructor(what: string) {
    super('STORE_CLOSED', `${what}: store is closed`);
    this.name = 'StoreClosedError';
  }
}

/**
 * The disk is full (LevelDB: "No space left on device"). Nothing of the batch
 * is durable; LevelDB keeps refusing writes until the store is reopened.
 */
export class StoreFullError extends StorageError {
  constructor(
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super('STORE_FULL', `data directory ${dir} is out of disk space`, options);
    this.name = 'StoreFullError';
  }
}

/**
 * LevelDB stopped taking writes: a compaction read a table block that fails
 * its checks (LevelDB's "background error", e.g. "Corruption: corrupted
 * compressed block contents"). Nothing of the batch is stored, and every later
 * write fails the same way — a restart does not help, as the next compaction
 * meets the block again; only `ringkv repair-store` (LevelDB's RepairDB) does.
 * Reads of the blocks that are intact still work.
 */
export class StoreDamagedError extends StorageError {
  constructor(
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super(
      'STORE_DAMAGED',
      `LevelDB stopped taking writes to ${dir}: it read a damaged table block (${options?.cause instanceof Error ? options.cause.message : String(options?.cause)}); ` +
        `stop the node and run \`ringkv repair-store --data ${dir}\``,
      options,
    );
    this.name = 'StoreDamagedError';
  }
}

/** The data directory was created for a different node id. */
export class IdentityMismatchError extends StorageError {
  constructor(
    readonly expectedNodeId: string,
    readonly foundNodeId: string,
  ) {
    super('IDENTITY_MISMATCH', `data directory belongs to node ${foundNodeId}, not ${expectedNodeId}`);
    this.name = 'IdentityMismatchError';
  }
}

/** A metadata record could not be decoded: refuse to guess. */
export class CorruptMetaError extends StorageError {
  constructor(name: string, detail: string) {
    super('CORRUPT_META', `metadata record "${name}" is corrupt: ${detail}`);
    this.name = 'CorruptMetaError';
  }
}

/**
 * A stored data record or hint failed its checksum (record-envelope.ts): the
 * disk changed it. The node treats the key's copy here as lost and repairs it
 * from the other replicas; it never serves or replicates the bad bytes.
 */
export class CorruptRecordError extends StorageError {
  constructor(
    readonly kind: 'record' | 'hint',
    readonly partition: number,
    readonly key: Uint8Array,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_RECORD', `stored ${kind} of a key in partition ${partition} failed its checksum`, options);
    this.name = 'CorruptRecordError';
  }
}
