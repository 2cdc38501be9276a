/**
 * Which node a data directory belongs to, and in which epoch (actor
 * generation) that node is running.
 *
 * Why the epoch: a node numbers the versions it coordinates with counters
 * (DVV dots). Writes without `sync` can be lost in a machine crash, and with
 * them the highest counter used; a restarted node that reused a counter would
 * mint two different versions with the same dot, and replicas would silently
 * drop one. So each start after an unclean shutdown takes a new epoch, and
 * versions are identified by (node, epoch, counter).
 *
 * Why the clean-shutdown flag is enough: it is written with `sync` after all
 * other writes, and LevelDB's log is sequential, so when the flag is durable
 * every earlier write is durable too and no counter can have been lost.
 */
import type { Store, StoreOp } from '@ringkv/core';
import { CorruptMetaError, IdentityMismatchError } from './errors.js';
import { metaKey } from './keys.js';
import { isSealed, seal, unsealMeta } from './record-envelope.js';

export interface NodeIdentity {
  readonly nodeId: string;
  /** Actor generation; grows after every unclean shutdown. */
  readonly epoch: number;
  /** True when this start created the identity (a fresh directory). */
  readonly created: boolean;
  /** True when the previous run called `markCleanShutdown` before stopping. */
  readonly previousShutdownClean: boolean;
}

const identityName = 'identity';
const cleanShutdownName = 'clean-shutdown';
const identityFormat = 1;

interface IdentityRecord {
  readonly format: typeof identityFormat;
  readonly nodeId: string;
  readonly epoch: number;
}

/**
 * Reads the directory's identity, creating it on first use; bumps and
 * persists (synced) the epoch if the last shutdown was not clean, and clears
 * the clean-shutdown flag for this run. `newEpoch` proposes a fresh epoch
 * (e.g. derived from the clock); the result is never below previous + 1.
 */
export async function loadOrCreateIdentity(
  store: Store,
  nodeId: string,
  newEpoch: () => number,
): Promise<NodeIdentity> {
  if (nodeId.length === 0) throw new RangeError('loadOrCreateIdentity: nodeId must not be empty');
  const stored = await store.get(metaKey(identityName));
  const flag = await store.get(metaKey(cleanShutdownName));
  // A damaged flag cannot vouch for anything: start as after a crash (a new epoch).
  const clean = flag !== undefined && unsealMeta(flag) !== undefined;
  const previous = stored === undefined ? undefined : decodeIdentity(stored);
  if (previous !== undefined && previous.nodeId !== nodeId) {
    throw new IdentityMismatchError(nodeId, previous.nodeId);
  }

  let epoch: number;
  if (previous === undefined) epoch = checkEpoch(newEpoch());
  else if (clean) epoch = previous.epoch;
  else epoch = checkEpoch(Math.max(previous.epoch + 1, checkEpoch(newEpoch())));

  // One synced batch: the new epoch and "this run is not yet shut down
  // cleanly" become durable together, before the node mints any version.
  const ops: StoreOp[] = [{ type: 'del', key: metaKey(cleanShutdownName) }];
  // also an identity written before checksums: sealed now, or a clean restart would never seal it
  if (previous?.epoch !== epoch || (stored !== undefined && !isSealed(stored))) {
    ops.push({ type: 'put', key: metaKey(identityName), value: encodeIdentity({ format: identityFormat, nodeId, epoch }) });
  }
  await store.write(ops, { sync: true });
  return { nodeId, epoch, created: previous === undefined, previousShutdownClean: previous !== undefined && clean };
}

/**
 * Starts a new epoch for the running node (persisted, synced, before it
 * resolves): the node lost a stored copy that may hold dots of its current
 * actor (a corrupt record), and must not number those dots again. Returns the
 * new epoch, never below the stored one + 1 nor below `proposed`.
 */
export async function renewEpoch(store: Store, nodeId: string, proposed: number): Promise<number> {
  const stored = await store.get(metaKey(identityName));
  if (stored === undefined) throw new CorruptMetaError(identityName, 'missing while the node runs');
  const previous = decodeIdentity(stored);
  if (previous.nodeId !== nodeId) throw new IdentityMismatchError(nodeId, previous.nodeId);
  const epoch = checkEpoch(Math.max(previous.epoch + 1, checkEpoch(proposed)));
  await store.write([{ type: 'put', key: metaKey(identityName), value: encodeIdentity({ format: identityFormat, nodeId, epoch }) }], { sync: true });
  return epoch;
}

/**
 * Makes the next start behave as after a crash (a new epoch): for a store
 * that lost records offline (repairStore), which may have held dots of the
 * node's current actor.
 */
export async function forgetCleanShutdown(store: Store): Promise<void> {
  await store.write([{ type: 'del', key: metaKey(cleanShutdownName) }], { sync: true });
}

/**
 * Records that this run stopped cleanly. Call it after the last data write
 * has completed and just before closing the store.
 */
export async function markCleanShutdown(store: Store): Promise<void> {
  await store.write([{ type: 'put', key: metaKey(cleanShutdownName), value: seal(Uint8Array.of(1)) }], { sync: true });
}

function checkEpoch(epoch: number): number {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative safe integer, got ${epoch}`);
  }
  return epoch;
}

// JSON: the record is tiny and rare, and a human can read it in a dump. Sealed with a checksum:
// an epoch a flipped bit lowered would let the node number dots it already used.
function encodeIdentity(record: IdentityRecord): Uint8Array {
  return seal(new TextEncoder().encode(JSON.stringify(record)));
}

function decodeIdentity(stored: Uint8Array): IdentityRecord {
  const bytes = unsealMeta(stored);
  if (bytes === undefined) {
    throw new CorruptMetaError(
      identityName,
      'it fails its checksum: the disk changed it, and the node cannot tell which actor epochs it already used. ' +
        'Move this data directory aside and start the node with an empty one under the same id: it takes a new epoch ' +
        'and recovers its data from the other replicas',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CorruptMetaError(identityName, `not UTF-8 JSON (${String(error)})`);
  }
  if (typeof value !== 'object' || value === null) throw new CorruptMetaError(identityName, 'not an object');
  const { format, nodeId, epoch } = value as Record<string, unknown>;
  if (format !== identityFormat) throw new CorruptMetaError(identityName, `unknown format ${String(format)}`);
  if (typeof nodeId !== 'string' || nodeId.length === 0) throw new CorruptMetaError(identityName, 'bad nodeId');
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new CorruptMetaError(identityName, 'bad epoch');
  }
  return { format, nodeId, epoch };
}
