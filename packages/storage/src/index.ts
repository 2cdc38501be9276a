/**
 * @ringkv/storage — the replica store on LevelDB (and in memory for tests).
 * The Store compliance suite is a separate entry point,
 * `@ringkv/storage/store-compliance`, so production code never loads vitest.
 */
export { LevelStore } from './level-store.js';
export type { LevelStoreOptions } from './level-store.js';
export { TABLE_READS, chooseTableReads, mappedTableFiles, preadBuildPresent } from './table-reads.js';
export type { TableReads } from './table-reads.js';
export { MemoryStore } from './memory-store.js';
export type { CrashOptions } from './memory-store.js';
export { GroupCommit } from './group-commit.js';
export type { BatchWriter, GroupCommitOptions, GroupCommitStats } from './group-commit.js';
export { ReplicaStore } from './replica-store.js';
export type { CorruptionListener, PartitionScanOptions, RecordEntry, WriteOptions } from './replica-store.js';
export { seal as sealRecord, unseal as unsealRecord } from './record-envelope.js';
export { forgetCleanShutdown, loadOrCreateIdentity, markCleanShutdown, renewEpoch } from './node-identity.js';
export { repairStore } from './store-repair.js';
export type { StoreRepairOutcome } from './store-repair.js';
export type { NodeIdentity } from './node-identity.js';
export { dataKey, dataRange, dirtyKey, dirtyPartitionRange, parseDirtyKey, hintKey, hintPartitionRange, hintRange, keySpace, metaKey, parseDataKey, parseHintKey, partitionCountMax, partitionRange } from './keys.js';
export type { ByteRange } from './keys.js';
export { compareBytes } from './bytes.js';
export {
  CorruptMetaError,
  CorruptRecordError,
  IdentityMismatchError,
  StorageError,
  StoreClosedError,
  StoreDamagedError,
  StoreFullError,
  StoreLockedError,
} from './errors.js';
export type { StorageErrorCode } from './errors.js';
export { markStoreLostData, recoveringMetaName } from './recovery-flag.js';
