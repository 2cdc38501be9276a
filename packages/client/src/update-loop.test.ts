import { describe, expect, it } from 'vitest';
import type { Sibling } from './siblings-body.js';
import { DELETE, RingkvUpdateConflictError, runUpdate, type KeyState, type UpdateIo, type WriteOutcome } from './update-loop.js';

const sib = (v: string): Sibling => ({ value: Buffer.from(v), contentType: 'text/plain' });
const text = (s: readonly Sibling[]): string[] => s.map((x) => Buffer.from(x.value).toString());
const state = (values: string[], context = 'ctx', etag?: string): KeyState => ({ siblings: values.map(sib), context, etag });

/** Scripted reads and write outcomes; records what was written with which state. */
function fakeIo(reads: KeyState[], outcomes: WriteOutcome[]) {
  const writes: { value: string | null; context: string | undefined; etag: string | undefined }[] = [];
  const sleeps: number[] = [];
  let readCount = 0;
  const io: UpdateIo = {
    read: () => Promise.resolve(reads[readCount++] ?? state([])),
    write: (_k, value, s) => {
      writes.push({ value: value === null ? null : Buffer.from(value).toString(), context: s.context, etag: s.etag });
      return Promise.resolve(outcomes[writes.length - 1] ?? { kind: 'done', context: 'final' });
    },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 1,
  };
  return { io, writes, sleeps, reads: () => readCount };
}

const increment = (s: readonly Sibling[]): string => String(Math.max(0, ...text(s).map(Number)) + 1);

describe('runUpdate', () => {
  it('writes fn(current) with the read’s context and ETag', async () => {
    const t = fakeIo([state(['4'], 'c1', '"e1"')], []);
    const res = await runUpdate(t.io, 'k', increment);
    expect(t.writes).toEqual([{ value: '5', context: 'c1', etag: '"e1"' }]);
    expect(res).toEqual({ written: true, deleted: false, context: 'final', attempts: 1 });
  });

  it('passes [] and found=false for an absent key', async () => {
    const t = fakeIo([{ siblings: [], context: undefined, etag: undefined }], []);
    const seen: unknown[] = [];
    await runUpdate(t.io, 'k', (s, meta) => {
      seen.push([s.length, meta.found, meta.attempt]);
      return 'first';
    });
    expect(seen).toEqual([[0, false, 1]]);
    expect(t.writes[0]?.value).toBe('first');
  });

  it('on returned siblings calls fn on all of them at once and writes the merge with their context', async () => {
    const t = fakeIo([state(['4'], 'c1')], [{ kind: 'siblings', state: state(['5', '7'], 'c2') }]);
    const res = await runUpdate(t.io, 'k', increment, { backoffMs: 10 });
    expect(t.writes.map((w) => [w.value, w.context])).toEqual([
      ['5', 'c1'],
      ['8', 'c2'],
    ]);
    expect(t.reads()).toBe(1); // the write's body was enough, no second read
    expect(t.sleeps).toEqual([]); // and no pause that would let it go stale
    expect(res.attempts).toBe(2);
  });

  it('when siblings come back again, backs off and reads a fresh snapshot', async () => {
    const t = fakeIo([state(['1'], 'c1'), state(['9'], 'c9')], [
      { kind: 'siblings', state: state(['2', '3'], 'c2') },
      { kind: 'siblings', state: state(['4', '5'], 'c4') },
    ]);
    await runUpdate(t.io, 'k', increment, { backoffMs: 10 });
    expect(t.writes.map((w) => [w.value, w.context])).toEqual([
      ['2', 'c1'],
      ['4', 'c2'],
      ['10', 'c9'],
    ]);
    expect(t.sleeps).toEqual([20]);
  });

  it('on 412 reads again and retries, with a doubling backoff', async () => {
    const t = fakeIo([state(['1'], 'c1', '"e1"'), state(['2'], 'c2', '"e2"'), state(['3'], 'c3', '"e3"')], [
      { kind: 'precondition-failed' },
      { kind: 'precondition-failed' },
    ]);
    await runUpdate(t.io, 'k', increment, { backoffMs: 10 });
    expect(t.writes.map((w) => [w.value, w.etag])).toEqual([
      ['2', '"e1"'],
      ['3', '"e2"'],
      ['4', '"e3"'],
    ]);
    expect(t.sleeps).toEqual([10, 20]);
  });

  it('gives up after `attempts` with a typed error carrying the last siblings', async () => {
    const conflict: WriteOutcome = { kind: 'siblings', state: state(['x', 'y'], 'cz') };
    const t = fakeIo([state(['1'])], [conflict, conflict, conflict]);
    const err = await runUpdate(t.io, 'k', () => 'v', { attempts: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RingkvUpdateConflictError);
    const e = err as RingkvUpdateConflictError;
    expect([e.code, e.key, e.attempts, e.context]).toEqual(['UPDATE_CONFLICT', 'k', 3, 'cz']);
    expect(text(e.siblings)).toEqual(['x', 'y']);
    expect(t.writes).toHaveLength(3);
  });

  it('writes nothing when fn returns undefined, or DELETE on an absent key; deletes otherwise', async () => {
    const none = fakeIo([state(['1'])], []);
    expect((await runUpdate(none.io, 'k', () => undefined)).written).toBe(false);
    const absent = fakeIo([state([])], []);
    expect((await runUpdate(absent.io, 'k', () => DELETE)).written).toBe(false);
    expect([...none.writes, ...absent.writes]).toEqual([]);
    const del = fakeIo([state(['1'], 'c1')], []);
    expect(await runUpdate(del.io, 'k', () => DELETE)).toMatchObject({ written: true, deleted: true });
    expect(del.writes).toEqual([{ value: null, context: 'c1', etag: undefined }]);
  });
});
