import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

interface Call {
  readonly ops: readonly string[];
  readonly sync: boolean;
  readonly done: () => void;
  readonly fail: (e: Error) => void;
}

/** A writer whose batches complete only when the test says so. */
function manualWriter() {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const writer = (ops: readonly string[], sync: boolean) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const settle = () => inFlight--;
      calls.push({
        ops: [...ops],
        sync,
        done: () => (settle(), resolve()),
        fail: (e) => (settle(), reject(e)),
      });
    });
  return { calls, writer, maxInFlight: () => maxInFlight };
}

/** Lets queued microtasks (the scheduled flush) run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('coalesces writes issued in the same tick into one ordered batch', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer);
    const settled: string[] = [];
    const ps = [['a'], ['b', 'c'], ['d']].map((ops, i) =>
      gc.write(ops, false).then(() => settled.push(`w${i}`)),
    );
    await tick();
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]?.ops).toEqual(['a', 'b', 'c', 'd']);
    expect(w.calls[0]?.sync).toBe(false);
    expect(settled).toEqual([]); // nobody resolves before the batch is written
    w.calls[0]?.done();
    await Promise.all(ps);
    expect(settled).toEqual(['w0', 'w1', 'w2']);
    expect(gc.stats).toEqual({ writes: 3, batches: 1, syncedBatches: 0 });
  });

  it('queues writes made while a batch is in flight into the next group, one batch at a time', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer);
    const p1 = gc.write(['a'], false);
    await tick();
    const p2 = gc.write(['b'], false);
    const p3 = gc.write(['c'], false);
    await tick();
    expect(w.calls).toHaveLength(1); // the second group waits for the first
    w.calls[0]?.done();
    await p1;
    await tick();
    expect(w.calls.map((c) => c.ops)).toEqual([['a'], ['b', 'c']]);
    w.calls[1]?.done();
    await Promise.all([p2, p3]);
    expect(w.maxInFlight()).toBe(1);
  });

  it('syncs the whole group when any member asks for sync', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer);
    const ps = [gc.write(['a'], false), gc.write(['b'], true), gc.write(['c'], false)];
    await tick();
    expect(w.calls[0]?.sync).toBe(true);
    w.calls[0]?.done();
    await Promise.all(ps);
    const p4 = gc.write(['d'], false);
    await tick();
    w.calls[1]?.done();
    await p4;
    expect(gc.stats).toEqual({ writes: 4, batches: 2, syncedBatches: 1 });
  });

  it('isolates a failing caller: its neighbours are retried alone and succeed', async () => {
    const written: string[][] = [];
    const gc = new GroupCommit<string>(async (ops) => {
      if (ops.includes('bad')) throw new Error('bad op');
      written.push([...ops]);
    });
    const results = await Promise.allSettled([
      gc.write(['a'], false),
      gc.write(['bad', 'x'], false),
      gc.write(['b'], false),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([['a'], ['b']]);
  });

  it('respects group limits without ever splitting one caller’s batch', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer, { groupOpsMax: 3 });
    const ps = [gc.write(['a', 'b'], false), gc.write(['c', 'd'], false), gc.write(['e', 'f', 'g', 'h'], false)];
    for (let i = 0; i < 3; i++) {
      await tick();
      w.calls[i]?.done();
    }
    await Promise.all(ps);
    expect(w.calls.map((c) => c.ops)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f', 'g', 'h']]);
  });

  it('limits groups by bytes when given a measure', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer, { groupBytesMax: 10, bytesOf: (op) => op.length });
    const ps = [gc.write(['12345'], false), gc.write(['12345'], false), gc.write(['1'], false)];
    for (let i = 0; i < 2; i++) {
      await tick();
      w.calls[i]?.done();
    }
    await Promise.all(ps);
    expect(w.calls.map((c) => c.ops)).toEqual([['12345', '12345'], ['1']]);
  });

  it('drain waits for every write issued so far', async () => {
    const w = manualWriter();
    const gc = new GroupCommit(w.writer);
    await gc.drain(); // idle: resolves at once
    let drained = false;
    void gc.write(['a'], false);
    const d = gc.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    w.calls[0]?.done();
    await d;
    expect(drained).toBe(true);
  });
});
