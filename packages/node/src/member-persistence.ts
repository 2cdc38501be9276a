import { parseMemberInfo, ringStateFromWire, ringStateToWire, type MemberInfo, type RingState } from '@ringkv/core';
import { CorruptMetaError, type ReplicaStore } from '@ringkv/storage';
import { Packr } from 'msgpackr';

/**
 * The member table survives restarts: until ownership becomes an explicit,
 * versioned ring (join/leave), the ring is derived from the members, and a
 * restarted node that derived it from the few members gossip told it about so
 * far would believe it owns partitions it does not.
 */
const membersMeta = 'members';
const packr = new Packr({ useRecords: false });

/**
 * The saved member table; none (learnt again from the seeds by gossip) when
 * the disk damaged it, which `damaged` is told. A damaged table read as valid
 * could point the node at members that never were.
 */
export async function loadMembers(store: ReplicaStore, damaged: (err: CorruptMetaError) => void): Promise<MemberInfo[]> {
  const x = await loadMeta(store, membersMeta, damaged);
  if (!Array.isArray(x)) return [];
  return x.map(parseMemberInfo).filter((m): m is MemberInfo => m !== undefined);
}

export async function saveMembers(store: ReplicaStore, members: Iterable<MemberInfo>): Promise<void> {
  await store.putMeta(membersMeta, new Uint8Array(packr.pack([...members])));
}

const ringMeta = 'ring';

/**
 * The committed ring state (epoch ≥ 1) survives restarts too: it is the
 * authority on ownership. None when the disk damaged it: the node then learns
 * the ring from the others before it coordinates (`ringKnown`) — a damaged one
 * taken as valid could carry a wrong owner under a high epoch to every node.
 */
export async function loadRing(store: ReplicaStore, damaged: (err: CorruptMetaError) => void): Promise<RingState | undefined> {
  const wire = await loadMeta(store, ringMeta, damaged);
  if (wire === undefined) return undefined;
  try {
    return ringStateFromWire(wire);
  } catch (err) {
    damaged(new CorruptMetaError(ringMeta, `not a ring state (${String(err)})`));
    return undefined;
  }
}

/** A msgpack metadata value, or undefined when absent or damaged (checksum or format). */
async function loadMeta(store: ReplicaStore, name: string, damaged: (err: CorruptMetaError) => void): Promise<unknown> {
  try {
    return (await store.readMeta(name, (bytes): unknown => packr.unpack(bytes)))?.value;
  } catch (err) {
    if (!(err instanceof CorruptMetaError)) throw err;
    damaged(err);
    return undefined;
  }
}

export async function saveRing(store: ReplicaStore, state: RingState): Promise<void> {
  if (state.epoch === 0) return;
  await store.putMeta(ringMeta, new Uint8Array(packr.pack(ringStateToWire(state))));
}
