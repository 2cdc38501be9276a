import { describe, expect, it } from 'vitest';
import { counterStateOf, encodeCounterKey, pnValue, type Clock, type KvRecord } from '@ringkv/core';
import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { IncrementStep } from './counter-increment.js';
import { PartitionTrees } from './partition-trees.js';
import { ReplicaService } from './replica-service.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const key = encodeCounterKey('c');
const p = 3;

function replica(actor: string): ReplicaService {
  const store = new ReplicaStore(new MemoryStore());
  const trees = new PartitionTrees(store, 16, { now: () => 0 } as unknown as Clock, silent as never);
  return new ReplicaService(store, actor, { syncWrites: false }, trees);
}

/** Runs one increment on the replica's data copy (or its hinted copy for `hintFor`). */
async function incr(r: ReplicaService, delta: number, hintFor?: string, now = 1000): Promise<{ value: number; record: KvRecord }> {
  const step = new IncrementStep({ key, delta, w: 1, pw: 0 }, now);
  const { record } = await r.writeComputed(p, key, step.compute, hintFor);
  return { value: step.result(false).value, record };
}

describe('an increment as a computed write', () => {
  it("supersedes everything the written copy held and counts what both local copies hold", async () => {
    const a = replica('a#1');
    const b = replica('b#1');
    await incr(a, 5);
    const fromB = await incr(b, 7);
    // b's version arrives at a: two siblings, read as their join
    const merged = await a.merge(p, key, fromB.record);
    expect(merged.siblings).toHaveLength(2);
    expect(pnValue(counterStateOf([merged]), 1000)).toBe(12);
    // the next increment at a collapses them into one version that still counts both
    const next = await incr(a, 1);
    expect(next.value).toBe(13);
    expect(next.record.siblings).toHaveLength(1);
    // a stands in for a primary: the hinted copy's version includes the data copy's counts, and the reverse
    expect((await incr(a, 2, 'n9')).value).toBe(15);
    expect((await incr(a, 1)).value).toBe(16);
    expect(pnValue(counterStateOf([await a.read(p, key), (await a.readHint(p, key))?.record]), 1000)).toBe(16);
  });

  it('opens a new entry once the replica may have forgotten a raise of its own (hint handed over)', async () => {
    const a = replica('a#1');
    const primary = replica('p#1');
    // a coordinates twice as a fallback; the primary gets only the first version, then the whole hint
    const first = await incr(a, 1, 'p');
    await primary.merge(p, key, first.record);
    const second = await incr(a, 1, 'p');
    await primary.merge(p, key, second.record);
    await a.completeHint(p, key, 'p', second.record);
    expect(await a.readHint(p, key)).toBeUndefined();
    // a coordinates again holding only the first version (say read repair brought it): it must not raise its old entry from there
    await a.mergeHint(p, key, first.record, 'p');
    const third = await incr(a, 1, 'p');
    const state = counterStateOf([third.record]);
    expect(state?.entries.map((e) => e.actor)).toEqual(['a#1', 'a#1']);
    expect(pnValue(counterStateOf([await primary.merge(p, key, third.record)]), 1000)).toBe(3);
  });
});
