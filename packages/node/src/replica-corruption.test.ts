/**
 * A stored copy the disk damaged (its checksum fails): readers are refused,
 * writers and merges read it as absent — and only after the replica took a new
 * actor, since the lost copy may hold dots of its own that no other copy has.
 */
import { counterStateOf, emptyDots, pnValue, type Clock, type KvRecord } from '@ringkv/core';
import { IncrementStep } from './counter-increment.js';
import { toRingkvError } from './http-errors.js';
import { CorruptRecordError, MemoryStore, ReplicaStore, dataRange, hintRange } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { PartitionTrees } from './partition-trees.js';
import { ReplicaService } from './replica-service.js';

const clock: Clock = { now: () => 1_000, setTimer: () => () => undefined };
const enc = new TextEncoder();
const key = enc.encode('k');

function setup(options: { renew?: boolean; node?: string } = {}) {
  const node = options.node ?? 'n1';
  const backend = new MemoryStore();
  const store = new ReplicaStore(backend);
  let epoch = 1;
  const replica = new ReplicaService(
    store,
    `${node}#1`,
    { syncWrites: false, now: () => clock.now(), ...(options.renew === false ? {} : { renewActor: async () => `${node}#${++epoch}` }) },
    new PartitionTrees(store, 4, clock, silentLogger),
  );
  const reported: CorruptRecordError[] = [];
  replica.onCorrupt = (e) => reported.push(e);
  const write = (value: string, hintFor?: string) =>
    replica.write(0, key, { context: emptyDots(), value: enc.encode(value), contentType: 't', writtenAt: clock.now() }, hintFor);
  // one bit of the (only) stored record flips; which one is chosen by `bit`
  const damage = (bit = 77, range = dataRange()) => backend.damage(range, (n) => (n === 1 ? 0 : bit % n));
  return { backend, store, replica, reported, write, damage };
}

describe('a stored record that fails its checksum', () => {
  it('is refused to readers, and reported', async () => {
    const { replica, reported, write, damage } = setup();
    await write('v1');
    expect(damage()).toBeDefined();
    await expect(replica.read(0, key)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(replica.readBytes(0, key)).rejects.toBeInstanceOf(CorruptRecordError);
    expect(reported.map((e) => [e.kind, e.partition])).toEqual([
      ['record', 0],
      ['record', 0],
    ]);
  });

  it('any flipped bit of it is caught', async () => {
    for (let bit = 0; bit < 8 * 40; bit += 7) {
      const { replica, write, damage } = setup();
      await write('some value');
      damage(bit);
      await expect(replica.read(0, key), `bit ${bit}`).rejects.toBeInstanceOf(CorruptRecordError);
    }
  });

  it('writes and merges are refused too: a merge over it would leave a record without what it held', async () => {
    const { replica, write, damage } = setup();
    const first = await write('v1');
    damage();
    await expect(write('v2')).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(replica.merge(0, key, first.record)).rejects.toBeInstanceOf(CorruptRecordError);
  });

  it('its repair replaces it with what the other replicas hold, under a new actor', async () => {
    const { replica, write, damage } = setup();
    await write('v1');
    const second = await write('v2');
    expect(second.dot).toEqual({ actor: 'n1#1', counter: 2 });
    damage();
    // the other replicas hold v2 (n1#1:2) and a concurrent write of their own
    const theirs = (await setup({ node: 'n2' }).write('elsewhere')).record;
    expect(await replica.replaceCorrupt(0, key, [second.record, theirs])).toBe(true);
    expect((await replica.read(0, key))?.siblings.map((s) => new TextDecoder().decode(s.value ?? new Uint8Array()))).toEqual(['v1', 'v2', 'elsewhere']); // blind writes: siblings
    // without the renewal this write would be numbered from what the repair brought back; with it no
    // dot of n1#1 the lost copy may have held (and no other copy has) can be numbered again
    const third = await write('v3');
    expect(third.dot.actor).toBe('n1#2');
    expect(replica.actor).toBe('n1#2');
    expect(replica.stats.actorsRenewed).toBe(1);
  });

  it('is not replaced without a renewed actor', async () => {
    const { replica, write, damage } = setup({ renew: false });
    const first = await write('v1');
    damage();
    await expect(replica.replaceCorrupt(0, key, [first.record])).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(replica.read(0, key)).rejects.toBeInstanceOf(CorruptRecordError);
  });

  it('one renewal covers every copy found corrupt until the new actor numbers a dot', async () => {
    const { replica, write, damage } = setup();
    const elsewhere = (await setup({ node: 'n2' }).write('elsewhere')).record;
    await write('v1');
    damage();
    await replica.replaceCorrupt(0, key, [elsewhere]);
    expect(replica.stats.actorsRenewed).toBe(1);
    damage(90);
    await replica.replaceCorrupt(0, key, [elsewhere]);
    expect(replica.stats.actorsRenewed).toBe(1); // n1#2 has numbered nothing: none of its dots can be lost
    const w = await write('mine');
    expect(w.dot.actor).toBe('n1#2');
    damage(130);
    await replica.replaceCorrupt(0, key, [w.record]);
    expect(replica.stats.actorsRenewed).toBe(2);
    expect(replica.actor).toBe('n1#3');
  });

  it('scans skip it and report it; dropping the partition removes it too', async () => {
    const { store, replica, reported, write, damage } = setup();
    // as the node wires it (ringkv-node.ts)
    store.onCorrupt = (e) => void replica.reportCorrupt(e);
    await write('v1');
    damage();
    const scanned = [];
    for await (const e of store.scanPartition(0)) scanned.push(e);
    expect(scanned).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(await store.hasData(0)).toBe(true);
    await replica.dropPartition(0);
    expect(await store.hasData(0)).toBe(false);
  });

  it('a damaged hint is refused to readers and read as absent by the next hinted write', async () => {
    const { replica, reported, write, damage } = setup();
    await write('for n2', 'n2');
    expect(damage(60, hintRange())).toBeDefined();
    await expect(replica.readHint(0, key)).rejects.toBeInstanceOf(CorruptRecordError);
    expect(reported.at(-1)?.kind).toBe('hint');
    const next = await write('for n2 again', 'n2');
    expect(next.dot.actor).toBe('n1#2');
    expect((await replica.readHint(0, key))?.targets).toEqual(['n2']);
  });

  it('its repair drops it when no other replica holds the key, and merges into a copy that is intact', async () => {
    const { replica, write, damage } = setup();
    const first = await write('v1');
    expect(await replica.replaceCorrupt(0, key, [])).toBe(false);
    expect(await replica.read(0, key)).toEqual(first.record);
    damage();
    expect(await replica.replaceCorrupt(0, key, [])).toBe(true);
    expect(await replica.read(0, key)).toBeUndefined();
    // the copy was never reported here: replacing it renews the actor all the same
    expect((await write('v2')).dot.actor).toBe('n1#2');
  });
});

describe('a counter increment over a corrupt copy', () => {
  it('counts under the renewed actor, whose entry no copy elsewhere can outrank', async () => {
    const { replica, damage } = setup();
    const increment = async (delta: number) => {
      const step = new IncrementStep({ key, delta, w: 1, pw: 0 }, clock.now());
      const { record } = await replica.writeComputed(0, key, step.compute);
      return counterStateOf([record]);
    };
    const before = await replica.read(0, key);
    await increment(5);
    damage();
    await expect(increment(2)).rejects.toBeInstanceOf(CorruptRecordError);
    await replica.replaceCorrupt(0, key, before === undefined ? [] : [before]);
    const after = await increment(2);
    // the lost copy's n1#1 entry (dot 1, +5) lives on at the other replicas; an n1#1 entry with dot 1
    // and +2 here would be the same entry to them, and the +2 would vanish in the join
    expect(after?.entries.map((e) => e.actor)).toEqual(['n1#2']);
    expect(pnValue(after, clock.now())).toBe(2);
  });
});

describe('meeting one corrupt copy again', () => {
  it('takes no second actor, however many writes it refuses meanwhile', async () => {
    const { replica, write, damage } = setup();
    const other = enc.encode('other');
    const writeOther = (v: string) => replica.write(0, other, { context: emptyDots(), value: enc.encode(v), contentType: 't', writtenAt: clock.now() });
    await write('v1');
    damage();
    for (let i = 0; i < 5; i++) {
      await expect(write(`refused ${i}`)).rejects.toBeInstanceOf(CorruptRecordError);
      await writeOther(`minted ${i}`); // the new actor numbers dots in between
    }
    expect(replica.stats.actorsRenewed).toBe(1);
    expect(replica.actor).toBe('n1#2');
  });
});

describe('a damaged copy seen by a client', () => {
  it('is 503 UNAVAILABLE with what is going on, when no other replica could take the request', () => {
    const e = toRingkvError(new CorruptRecordError('record', 7, key), 1024);
    expect([e.code, e.status, e.details]).toEqual(['UNAVAILABLE', 503, { partition: 7 }]);
    expect(e.message).toMatch(/damaged .* being repaired from the other replicas; retry/);
  });
});
