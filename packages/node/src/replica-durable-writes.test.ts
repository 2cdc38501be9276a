/**
 * ?dw reaches the store: a durable write, merge or hint is fsynced even on a
 * node without --sync, and a merge that changes nothing still waits for an
 * fsync (what is held may not be on disk yet).
 */
import { emptyDots, type Clock, type StoreOp } from '@ringkv/core';
import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { PartitionTrees } from './partition-trees.js';
import { ReplicaService } from './replica-service.js';

const clock: Clock = { now: () => 1_000, setTimer: () => () => undefined };
const key = new TextEncoder().encode('k');

/** A memory store that notes each write's sync flag and op count. */
class WatchedStore extends MemoryStore {
  readonly writes: { ops: number; sync: boolean }[] = [];
  override write(ops: readonly StoreOp[], options: { readonly sync?: boolean } = {}): Promise<void> {
    this.writes.push({ ops: ops.length, sync: options.sync === true });
    return super.write(ops, options);
  }
}

function setup() {
  const backend = new WatchedStore();
  const store = new ReplicaStore(backend);
  const replica = new ReplicaService(store, 'n1#1', { syncWrites: false, now: () => clock.now() }, new PartitionTrees(store, 4, clock, silentLogger));
  const write = (value: string, durable: boolean, hintFor?: string) =>
    replica.write(0, key, { context: emptyDots(), value: new TextEncoder().encode(value), contentType: 't', writtenAt: clock.now() }, hintFor, durable);
  return { backend, replica, write };
}

describe('durable (?dw) replica writes on a node without --sync', () => {
  it('a coordinated write is fsynced only when durable', async () => {
    const { backend, write } = setup();
    await write('a', false);
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: false });
    await write('b', true);
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: true });
  });

  it('a counter increment (computed write) is fsynced only when durable, on the data copy and on a hint', async () => {
    const { backend, replica } = setup();
    const compute = () => ({ value: new TextEncoder().encode('1'), contentType: 't', writtenAt: clock.now() });
    await replica.writeComputed(0, key, compute);
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: false });
    await replica.writeComputed(0, key, compute, undefined, true);
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: true });
    await replica.writeComputed(0, key, compute, 'n2', true);
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: true });
    await replica.writeComputed(0, key, compute, 'n2');
    expect(backend.writes.at(-1)).toEqual({ ops: 1, sync: false });
  });

  it('a durable hinted write is fsynced', async () => {
    const { backend, write } = setup();
    await write('h', true, 'n2');
    expect(backend.writes.at(-1)?.sync).toBe(true);
  });

  it('a durable merge is fsynced; one that changes nothing still waits for an fsync barrier', async () => {
    const { backend, replica, write } = setup();
    const { delta } = await write('a', false);
    const other = setup();
    await other.replica.merge(0, key, delta, true);
    expect(other.backend.writes.at(-1)).toEqual({ ops: 1, sync: true });
    const before = backend.writes.length;
    await replica.merge(0, key, delta, false); // already held: nothing written
    expect(backend.writes.length).toBe(before);
    await replica.merge(0, key, delta, true); // already held, durable: an empty synced batch
    expect(backend.writes.slice(before)).toEqual([{ ops: 0, sync: true }]);
    await replica.mergeHint(0, key, delta, 'n3', true);
    await replica.mergeHint(0, key, delta, 'n3', true); // unchanged hint: barrier again
    expect(backend.writes.slice(before + 1).map((w) => w.sync)).toEqual([true, true]);
    expect(backend.writes.at(-1)?.ops).toBe(0);
  });
});
