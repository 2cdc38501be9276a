import { describe, expect, it } from 'vitest';
import { RingCache } from './ring-cache.js';
import type { RingMap } from './ring-map.js';

const map = (epoch: number): RingMap => ({ epoch, partitionCount: 1, n: 1, nodes: new Map(), partitions: [[]] });

/** A cache over a scripted fetch and a hand-moved clock. */
function setup(results: (RingMap | Error)[]) {
  let now = 0;
  let fetches = 0;
  const cache = new RingCache({
    refreshMs: 10_000,
    now: () => now,
    fetch: () => {
      const next = results[fetches++] ?? new Error('no more');
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  });
  return {
    cache,
    fetches: () => fetches,
    advance: (ms: number) => {
      now += ms;
    },
    settle: () => new Promise((r) => setTimeout(r, 0)),
  };
}

describe('RingCache', () => {
  it('waits for the first fetch, then serves the copy until it is refreshMs old', async () => {
    const t = setup([map(1), map(2)]);
    expect((await t.cache.get())?.epoch).toBe(1);
    t.advance(9_999);
    expect((await t.cache.get())?.epoch).toBe(1);
    expect(t.fetches()).toBe(1);
    t.advance(1);
    expect((await t.cache.get())?.epoch).toBe(1); // refresh runs in the background
    await t.settle();
    expect((await t.cache.get())?.epoch).toBe(2);
    expect(t.fetches()).toBe(2);
  });

  it('refetches an invalidated map, but at most once a second', async () => {
    const t = setup([map(1), map(2), map(3)]);
    await t.cache.get();
    t.cache.invalidate();
    await t.cache.get();
    expect(t.fetches()).toBe(1);
    t.advance(1000);
    await t.cache.get();
    await t.settle();
    expect(t.fetches()).toBe(2);
    expect(t.cache.peek()?.epoch).toBe(2);
  });

  it('answers undefined without a map, retrying the fetch with backoff', async () => {
    const t = setup([new Error('404'), new Error('404'), map(7)]);
    expect(await t.cache.get()).toBeUndefined();
    expect(await t.cache.get()).toBeUndefined();
    expect(t.fetches()).toBe(1); // not one fetch per request
    t.advance(500);
    await t.cache.get();
    await t.settle();
    expect(t.fetches()).toBe(2);
    t.advance(500);
    await t.cache.get();
    expect(t.fetches()).toBe(2); // the second failure doubled the wait to 1 s
    t.advance(500);
    await t.cache.get();
    await t.settle();
    expect(t.fetches()).toBe(3);
    expect((await t.cache.get())?.epoch).toBe(7);
  });

  it('shares one fetch between concurrent first requests', async () => {
    const t = setup([map(1)]);
    const got = await Promise.all([t.cache.get(), t.cache.get(), t.cache.get()]);
    expect(got.map((r) => r?.epoch)).toEqual([1, 1, 1]);
    expect(t.fetches()).toBe(1);
  });
});
