import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Dot, Dots } from './dots.js';
import { dotsAdd, dotsFromVersionVector, dotsHas, dotsMaxCounter, dotsToWire, dotsUnion, emptyDots } from './dots.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { KvRecord, Sibling } from './record.js';
import {
  InvariantViolation,
  applyWrite,
  assertRecordInvariants,
  compareDots,
  emptyRecord,
  isDeleted,
  liveSiblings,
  mergeRecords,
  readContext,
  recordCovers,
  recordEquals,
  siblingDots,
} from './record.js';

const text = new TextEncoder();
const bytes = (s: string): Uint8Array => text.encode(s);
const show = (rec: KvRecord): string[] => rec.siblings.map((s) => `${s.dot.actor}:${s.dot.counter}`);

/** Full content, so equality checks notice a swapped value, not just a swapped dot. */
function canon(rec: KvRecord): unknown {
  return {
    history: dotsToWire(rec.history),
    siblings: rec.siblings.map((s) => [s.dot.actor, s.dot.counter, s.value && [...s.value], s.contentType, s.writtenAt]),
  };
}

function write(rec: KvRecord | undefined, actor: string, context: Dots, value: string | null) {
  return applyWrite(rec, { actor, context, value: value === null ? null : bytes(value), contentType: 'text/plain', writtenAt: 1 });
}

// ---- arbitrary records: one version per dot, as the invariant demands -------

const actorArb = fc.constantFrom('n1#1', 'n2#1', 'n3#2', '__proto__');
const dotArb: fc.Arbitrary<Dot> = fc.record({ actor: actorArb, counter: fc.integer({ min: 1, max: 12 }) });
const versionOf = (dot: Dot): Sibling => ({
  dot,
  value: dot.counter % 4 === 0 ? null : bytes(`${dot.actor}/${dot.counter}`),
  contentType: dot.counter % 2 === 0 ? 'text/plain' : 'application/octet-stream',
  writtenAt: dot.counter * 1000,
});
const recordArb: fc.Arbitrary<KvRecord> = fc
  .tuple(fc.array(dotArb, { maxLength: 10 }), fc.uniqueArray(dotArb, { maxLength: 4, selector: (d) => `${d.actor}:${d.counter}` }))
  .map(([seen, live]) => ({
    history: [...seen, ...live].reduce(dotsAdd, emptyDots()),
    siblings: [...live].sort(compareDots).map(versionOf),
  }));

describe('record: examples', () => {
  it('stores a first write', () => {
    const { record, context, dot } = write(undefined, 'n1#1', emptyDots(), 'a');
    expect(dot).toEqual({ actor: 'n1#1', counter: 1 });
    expect(show(record)).toEqual(['n1#1:1']);
    expect(context).toEqual(record.history);
    expect(isDeleted(record)).toBe(false);
    expect(isDeleted(emptyRecord())).toBe(true);
  });

  it('supersedes what the context covers and keeps the rest', () => {
    const r1 = write(undefined, 'n1#1', emptyDots(), 'a');
    const r2 = write(r1.record, 'n1#1', emptyDots(), 'b'); // blind: concurrent
    expect(show(r2.record)).toEqual(['n1#1:1', 'n1#1:2']);
    const r3 = write(r2.record, 'n1#1', readContext(r2.record), 'c');
    expect(show(r3.record)).toEqual(['n1#1:3']);
  });

  it('keeps a delete as a tombstone sibling', () => {
    const r1 = write(undefined, 'n1#1', emptyDots(), 'a');
    const del = write(r1.record, 'n1#1', r1.context, null);
    expect(show(del.record)).toEqual(['n1#1:2']);
    expect(isDeleted(del.record)).toBe(true);
    expect(liveSiblings(del.record)).toEqual([]);
  });

  it('numbers past counters a context claims', () => {
    const ctx = dotsFromVersionVector({ 'n1#1': 41 });
    expect(write(undefined, 'n1#1', ctx, 'a').dot.counter).toBe(42);
    const huge = dotsFromVersionVector({ 'n1#1': Number.MAX_SAFE_INTEGER });
    expect(() => write(undefined, 'n1#1', huge, 'a')).toThrow(RangeError);
  });

  it('keeps exactly two siblings when two clients alternate with their own contexts (one coordinator)', () => {
    let rec: KvRecord | undefined;
    const ctx = [emptyDots(), emptyDots()];
    const last: (Dot | undefined)[] = [undefined, undefined];
    for (let round = 0; round < 60; round++) {
      const client = round % 2;
      const r = write(rec, 'n1#1', ctx[client] ?? emptyDots(), `c${client} r${round}`);
      rec = r.record;
      ctx[client] = r.context;
      last[client] = r.dot;
      const expected = last.filter((d): d is Dot => d !== undefined).sort(compareDots);
      expect(siblingDots(rec)).toEqual(expected);
    }
  });

  it('keeps exactly two siblings when two clients alternate through different coordinators', () => {
    const replicas: Record<string, KvRecord> = { 'n1#1': emptyRecord(), 'n2#1': emptyRecord() };
    const ctx = [emptyDots(), emptyDots()];
    const last: (Dot | undefined)[] = [undefined, undefined];
    for (let round = 0; round < 60; round++) {
      const client = round % 2;
      // client 0 sticks to n1, client 1 to n2; every third round the coordinators swap
      const actor = (client + Math.floor(round / 3)) % 2 === 0 ? 'n1#1' : 'n2#1';
      const r = write(replicas[actor], actor, ctx[client] ?? emptyDots(), `c${client} r${round}`);
      replicas[actor] = r.record;
      ctx[client] = r.context;
      last[client] = r.dot;
      if (round % 2 === 1) {
        // anti-entropy between steps, but not always, so replicas are sometimes behind
        const merged = mergeRecords(replicas['n1#1'] ?? emptyRecord(), replicas['n2#1'] ?? emptyRecord());
        replicas['n1#1'] = merged;
        replicas['n2#1'] = merged;
      }
      const all = mergeRecords(replicas['n1#1'] ?? emptyRecord(), replicas['n2#1'] ?? emptyRecord());
      const expected = last.filter((d): d is Dot => d !== undefined).sort(compareDots);
      expect(siblingDots(all)).toEqual(expected);
    }
  });

  it('does not let a client writing twice in a row supersede a write it never saw', () => {
    const a1 = write(undefined, 'n1#1', emptyDots(), 'a1');
    const b1 = write(a1.record, 'n1#1', emptyDots(), 'b1'); // concurrent with a1
    const a2 = write(b1.record, 'n1#1', a1.context, 'a2');
    const a3 = write(a2.record, 'n1#1', a2.context, 'a3');
    // the history a2 saw contains b1, but a2's context must not: b1 was never read
    expect(dotsHas(a2.context, b1.dot)).toBe(false);
    expect(siblingDots(a3.record)).toEqual([b1.dot, a3.dot]);
  });

  it('throws when one dot carries two different versions', () => {
    const a = write(undefined, 'n1#1', emptyDots(), 'a').record;
    const b = write(undefined, 'n1#1', emptyDots(), 'b').record;
    expect(() => mergeRecords(a, b)).toThrow(InvariantViolation);
    expect(() => mergeRecords(a, b)).toThrow(/reused a counter/);
  });

  it('asserts its invariants', () => {
    const s = versionOf({ actor: 'a', counter: 1 });
    const t = versionOf({ actor: 'a', counter: 2 });
    const history = dotsFromVersionVector({ a: 2 });
    expect(() => assertRecordInvariants({ history: emptyDots(), siblings: [s] })).toThrow(InvariantViolation);
    expect(() => assertRecordInvariants({ history, siblings: [t, s] })).toThrow(InvariantViolation);
    expect(() => assertRecordInvariants({ history, siblings: [s, s] })).toThrow(InvariantViolation);
    expect(() => assertRecordInvariants({ history, siblings: [s, t] })).not.toThrow();
  });

  it('decides coverage for read repair', () => {
    const old = write(undefined, 'n1#1', emptyDots(), 'a');
    const newer = write(old.record, 'n1#1', old.context, 'b');
    expect(recordCovers(newer.record, old.record)).toBe(true);
    expect(recordCovers(old.record, newer.record)).toBe(false);
    expect(recordEquals(newer.record, newer.record)).toBe(true);
  });
});

describe('record: a write\'s delta', () => {
  it('merged into what the coordinator held is the written record; merged anywhere, it holds the new version', () => {
    const contextArb = fc.array(dotArb, { maxLength: 8 }).map((ds) => ds.reduce(dotsAdd, emptyDots()));
    fc.assert(
      fc.property(recordArb, recordArb, contextArb, actorArb, fc.boolean(), (held, other, context, actor, del) => {
        // An actor's dots are numbered past every dot of it anywhere (the counter floor guarantees it).
        const counterFloor = dotsMaxCounter(other.history, actor);
        const r = applyWrite(held, { actor, context, value: del ? null : bytes('new'), contentType: 'text/plain', writtenAt: 1, counterFloor });
        expect(canon(mergeRecords(held, r.delta))).toEqual(canon(r.record));
        assertRecordInvariants(r.delta);
        // a replica that never saw the coordinator's versions gets the write and drops what the writer saw
        const there = mergeRecords(other, r.delta);
        expect(there.siblings.some((s) => compareDots(s.dot, r.dot) === 0)).toBe(true);
        for (const s of there.siblings) if (compareDots(s.dot, r.dot) !== 0) expect(dotsHas(context, s.dot)).toBe(false);
        // and ends where full-record replication ends once the coordinator's versions reach it too
        expect(canon(mergeRecords(there, held))).toEqual(canon(mergeRecords(other, r.record)));
      }),
    );
  });
});

describe('record: merge laws', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(recordArb, recordArb, recordArb, (a, b, c) => {
        expect(canon(mergeRecords(a, b))).toEqual(canon(mergeRecords(b, a)));
        expect(canon(mergeRecords(mergeRecords(a, b), c))).toEqual(canon(mergeRecords(a, mergeRecords(b, c))));
        expect(canon(mergeRecords(a, a))).toEqual(canon(a));
        // the same record as a distinct object (another replica's copy) takes the full merge walk
        expect(canon(mergeRecords(a, decodeRecord(encodeRecord(a))))).toEqual(canon(a));
        expect(recordCovers(mergeRecords(a, b), a) && recordCovers(mergeRecords(a, b), b)).toBe(true);
      }),
    );
  });
});

// ---- a model of clients, coordinators and replication ----------------------

type Op =
  | { kind: 'write'; client: number; replica: number; blind: boolean; del: boolean; push: number }
  | { kind: 'read'; client: number; replica: number; other: number }
  | { kind: 'sync'; from: number; to: number };

const REPLICAS = ['n1#1', 'n2#1', 'n3#2'];
const replicaArb = fc.integer({ min: 0, max: REPLICAS.length - 1 });
const clientArb = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // push: a replica the write's delta is replicated to right away (-1: none), as a coordinator does
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('write' as const), client: clientArb, replica: replicaArb, blind: fc.boolean(), del: fc.boolean(), push: fc.integer({ min: -1, max: 2 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), client: clientArb, replica: replicaArb, other: replicaArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replicaArb, to: replicaArb }) },
);

interface Written {
  readonly dot: Dot;
  readonly context: Dots;
  readonly value: string | null;
}

const mergeAll = (recs: readonly KvRecord[]): KvRecord => recs.reduce(mergeRecords, emptyRecord());

/** Checks what must hold at every step, for every replica. */
function checkReplica(rec: KvRecord, writes: readonly Written[]): void {
  assertRecordInvariants(rec);
  for (const s of rec.siblings) {
    const w = writes.find((x) => compareDots(x.dot, s.dot) === 0);
    expect(w, 'every sibling is a write').toBeDefined();
    expect(s.value === null ? null : new TextDecoder().decode(s.value)).toBe(w?.value);
  }
  // no resurrection: once a replica has seen a write, nothing its context covered is live there
  for (const w of writes) {
    if (!dotsHas(rec.history, w.dot)) continue;
    for (const s of rec.siblings) expect(dotsHas(w.context, s.dot), 'superseded sibling came back').toBe(false);
  }
}

function run(ops: readonly Op[]): { replicas: KvRecord[]; writes: Written[] } {
  const replicas = REPLICAS.map(() => emptyRecord());
  const contexts = [emptyDots(), emptyDots(), emptyDots()];
  const writes: Written[] = [];
  for (const op of ops) {
    if (op.kind === 'write') {
      const context = op.blind ? emptyDots() : (contexts[op.client] ?? emptyDots());
      const value = op.del ? null : `w${writes.length}`;
      const r = write(replicas[op.replica], REPLICAS[op.replica] ?? '', context, value);
      expect(writes.some((w) => compareDots(w.dot, r.dot) === 0), 'dots are unique').toBe(false);
      writes.push({ dot: r.dot, context, value });
      replicas[op.replica] = r.record;
      if (op.push >= 0) replicas[op.push] = mergeRecords(replicas[op.push] ?? emptyRecord(), r.delta);
      contexts[op.client] = r.context;
    } else if (op.kind === 'read') {
      // a coordinator reading R=2 replicas returns the join of what they hold
      contexts[op.client] = readContext(mergeRecords(replicas[op.replica] ?? emptyRecord(), replicas[op.other] ?? emptyRecord()));
    } else {
      replicas[op.to] = mergeRecords(replicas[op.to] ?? emptyRecord(), replicas[op.from] ?? emptyRecord());
    }
    for (const rec of replicas) checkReplica(rec, writes);
  }
  return { replicas, writes };
}

describe('record: replication model', () => {
  it('loses no concurrent write and keeps no superseded one', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { replicas, writes } = run(ops);
        const covered = writes.reduce((acc, w) => dotsUnion(acc, w.context), emptyDots());
        const expected = writes.filter((w) => !dotsHas(covered, w.dot)).map((w) => w.dot).sort(compareDots);
        expect(siblingDots(mergeAll(replicas))).toEqual(expected);
      }),
    );
  });

  it('merge laws hold on replica states reached by the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(replicaArb, { minLength: 3, maxLength: 3 }), (ops, pick) => {
        const { replicas } = run(ops);
        const [a, b, c] = pick.map((i) => replicas[i] ?? emptyRecord()) as [KvRecord, KvRecord, KvRecord];
        expect(canon(mergeRecords(a, b))).toEqual(canon(mergeRecords(b, a)));
        expect(canon(mergeRecords(mergeRecords(a, b), c))).toEqual(canon(mergeRecords(a, mergeRecords(b, c))));
        expect(canon(mergeRecords(a, a))).toEqual(canon(a));
      }),
    );
  });

  it('keeps one sibling per writer when each writes with its own last context', () => {
    const stepArb = fc.record({ client: clientArb, replica: replicaArb, syncFrom: replicaArb, syncTo: replicaArb, sync: fc.boolean() });
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 50 }), (steps) => {
        const replicas = REPLICAS.map(() => emptyRecord());
        const contexts = [emptyDots(), emptyDots(), emptyDots()];
        const last = new Map<number, Dot>();
        for (const step of steps) {
          const r = write(replicas[step.replica], REPLICAS[step.replica] ?? '', contexts[step.client] ?? emptyDots(), 'v');
          replicas[step.replica] = r.record;
          contexts[step.client] = r.context;
          last.set(step.client, r.dot);
          if (step.sync) replicas[step.syncTo] = mergeRecords(replicas[step.syncTo] ?? emptyRecord(), replicas[step.syncFrom] ?? emptyRecord());
          // never more (sibling explosion), never fewer (a lost write)
          expect(siblingDots(mergeAll(replicas))).toEqual([...last.values()].sort(compareDots));
        }
      }),
    );
  });
});
