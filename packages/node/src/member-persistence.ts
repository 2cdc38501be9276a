import { parseMemberInfo, ringStateFromWire, ringStateToWire, type MemberInfo, type RingState } from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import { Packr } from 'msgpackr';

/**
 * The member table survives restarts: until ownership becomes an explicit,
 * versioned ring (join/leave), the ring is derived from the members, and a
 * restarted node that derived it from the few members gossip told it about so
 * far would believe it owns partitions it does not.
 */
const membersMeta = 'members';
const packr = new Packr({ useRecords: false });

export async function loadMembers(store: ReplicaStore): Promise<MemberInfo[]> {
  const bytes = await store.getMeta(membersMeta);
  if (bytes === undefined) return [];
  const x: unknown = packr.unpack(bytes);
  if (!Array.isArray(x)) return [];
  return x.map(parseMemberInfo).filter((m): m is MemberInfo => m !== undefined);
}

export async function saveMembers(store: ReplicaStore, members: Iterable<MemberInfo>): Promise<void> {
  await store.putMeta(membersMeta, new Uint8Array(packr.pack([...members])));
}

const ringMeta = 'ring';

/** The committed ring state (epoch ≥ 1) survives restarts too: it is the authority on ownership. */
export async function loadRing(store: ReplicaStore): Promise<RingState | undefined> {
  const bytes = await store.getMeta(ringMeta);
  return bytes === undefined ? undefined : ringStateFromWire(packr.unpack(bytes));
}

export async function saveRing(store: ReplicaStore, state: RingState): Promise<void> {
  if (state.epoch === 0) return;
  await store.putMeta(ringMeta, new Uint8Array(packr.pack(ringStateToWire(state))));
}
