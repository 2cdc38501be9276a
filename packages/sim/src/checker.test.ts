import { dotsAdd, dotsFromVersionVector, emptyDots, type Dot, type Dots, type KvRecord } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { checkHistory, checkValuesWritten, type FinalKeyState } from './checker.js';
import type { HistoryOp } from './history.js';

/**
 * Hand-made histories for the read check (stale-read), the one with the
 * subtlest rule: a collected tombstone takes its dots, and the dots of the
 * values it replaced, out of every later context.
 */
let t = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp => {
  t += 10;
  return { id: t, client: 0, node: 'n1', key: 'k', invokedAt: t, completedAt: t + 5, outcome: 'ok', sloppy: false, ringEpoch: 1, ...o };
};
const dot = (actor: string, counter: number): Dot => ({ actor, counter });
const ctx = (vv: Record<string, number>): Dots => dotsFromVersionVector(vv);
const read = (values: string[], context: Dots): HistoryOp => op({ kind: 'get', readValues: values, readContext: context });
const finalOf = (value: string, d: Dot): FinalKeyState => {
  const rec: KvRecord = { history: dotsAdd(emptyDots(), d), siblings: [{ dot: d, value: new TextEncoder().encode(value), contentType: 'text/plain', writtenAt: 0 }] };
  return { key: 'k', replicas: new Map([['n1', rec], ['n2', rec], ['n3', rec]]) };
};
const staleReads = (ops: HistoryOp[], final: FinalKeyState): string[] =>
  checkHistory(ops, [final], { strictQuorums: true, clients: 2 })
    .filter((v) => v.property === 'stale-read')
    .map((v) => v.detail);

describe('checkHistory: reads after a delete whose tombstone may be collected', () => {
  const a1 = dot('a', 1);
  const a2 = dot('a', 2);
  const a3 = dot('a', 3);
  const history = (after: () => HistoryOp): HistoryOp[] => [
    op({ kind: 'put', value: 'v1', dot: a1 }),
    op({ kind: 'del', dot: a2, contextIn: ctx({ a: 1 }) }),
    // a write without a context after the tombstone was collected starts a fresh history: dot a3 alone
    op({ kind: 'put', value: 'v3', dot: a3 }),
    after(),
  ];

  it('passes a read that shows the deletion but not the collected dots', () => {
    const fresh = dotsAdd(emptyDots(), a3);
    expect(staleReads(history(() => read(['v3'], fresh)), finalOf('v3', a3))).toEqual([]);
  });

  it('flags a read that returns the value the delete replaced', () => {
    const fresh = dotsAdd(emptyDots(), a3);
    const bad = staleReads(history(() => read(['v1', 'v3'], dotsAdd(fresh, a1))), finalOf('v3', a3));
    expect(bad.some((d) => d.includes('(a:2)'))).toBe(true);
  });

  it('flags a read that misses a write no delete replaced', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }) }), read(['v1'], ctx({ a: 1 }))];
    expect(staleReads(ops, finalOf('v2', a2))).toHaveLength(1);
  });

  // Seed 180097: the delete timed out (outcome unknown) but was applied, and its tombstone was collected.
  it('passes a read that misses a write a delete of unknown outcome replaced, and shows nothing it replaced', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'del', outcome: 'info', contextIn: ctx({ a: 1 }) }), read([], emptyDots())];
    expect(staleReads(ops, finalOf('v3', a3))).toEqual([]);
  });

  it('flags the same read when that delete failed', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'del', outcome: 'fail', contextIn: ctx({ a: 1 }) }), read([], emptyDots())];
    expect(staleReads(ops, finalOf('v3', a3))).toHaveLength(1);
  });

  it('flags a read that misses a write made after the delete', () => {
    const ops = history(() => read([], ctx({ a: 2 })));
    expect(staleReads(ops, finalOf('v3', a3)).some((d) => d.includes('(a:3)'))).toBe(true);
  });
});

describe('checkHistory: puts with a TTL', () => {
  const a1 = dot('a', 1);
  const a2 = dot('a', 2);
  // Node clocks in these histories: the highest reading by simulated time t is 1000 + t.
  const clockPeakBy = (time: number): number => 1000 + time;
  const violations = (ops: HistoryOp[], final: FinalKeyState, endedAt: number) =>
    checkHistory(ops, [final], { strictQuorums: true, clients: 2, clockPeakBy, endedAt }).map((v) => `${v.property}: ${v.detail}`);
  // v2 (TTL) replaced v1, then expired and was purged: its dot stays, no sibling is left.
  const purged: FinalKeyState = (() => {
    const rec: KvRecord = { history: ctx({ a: 2 }), siblings: [] };
    return { key: 'k', replicas: new Map([['n1', rec], ['n2', rec], ['n3', rec]]) };
  })();

  it('passes an acknowledged TTL put gone after its deadline passed on some clock', () => {
    t = 0;
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 500, expiresAt: 1500 })];
    expect(violations(ops, purged, 600)).toEqual([]);
  });

  it('flags the same put gone while no clock had reached its deadline', () => {
    t = 0;
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 500, expiresAt: 1500 })];
    expect(violations(ops, purged, 400).filter((v) => v.startsWith('lost-write'))).toHaveLength(1);
  });

  it('flags the value a TTL put replaced when it is back after the put expired', () => {
    t = 0;
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 500, expiresAt: 1500 })];
    expect(violations(ops, finalOf('v1', a1), 600).filter((v) => v.startsWith('resurrected'))).toHaveLength(1);
  });

  it('passes a read that misses an expired put (its record collected) and shows nothing it replaced', () => {
    t = 0;
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 100, expiresAt: 1025 }),
      read([], emptyDots()),
    ];
    expect(violations(ops, purged, 600)).toEqual([]);
  });

  it('flags a read that misses a TTL put before any clock reached its deadline', () => {
    t = 0;
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 500, expiresAt: 1500 }),
      read(['v1'], ctx({ a: 1 })),
    ];
    expect(violations(ops, purged, 600).filter((v) => v.startsWith('stale-read'))).toHaveLength(1);
  });

  it('flags a read that misses an expired put but returns the value it replaced', () => {
    t = 0;
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }), ttlMs: 100, expiresAt: 1025 }),
      read(['v1'], ctx({ a: 1 })),
    ];
    expect(violations(ops, purged, 600).filter((v) => v.startsWith('stale-read'))).toHaveLength(1);
  });

  it('flags a read that returns a value expired by its coordinator\'s clock, and only that one', () => {
    t = 0;
    const put = op({ kind: 'put', value: 'v1', dot: a1, ttlMs: 500, expiresAt: 1500 });
    const late = op({ kind: 'get', readValues: ['v1'], readContext: ctx({ a: 1 }), readExpiresAt: [1500], readerClock: 1500 });
    const early = op({ kind: 'get', readValues: ['v1'], readContext: ctx({ a: 1 }), readExpiresAt: [1500], readerClock: 1499 });
    const unknownClock = op({ kind: 'get', readValues: ['v1'], readContext: ctx({ a: 1 }), readExpiresAt: [1500] });
    const found = violations([put, late, early, unknownClock], finalOf('v1', a1), 100).filter((v) => v.startsWith('expired-read'));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`get op ${late.id}`);
  });
});

describe('checkHistory: replicas that purged at different times', () => {
  const a1 = dot('a', 1);
  const b1 = dot('b', 1);
  const enc = new TextEncoder();
  const history = dotsAdd(dotsAdd(emptyDots(), a1), b1);
  const both: KvRecord = {
    history,
    siblings: [
      { dot: a1, value: enc.encode('v1'), contentType: 'text/plain', writtenAt: 0, expiresAt: 1500 },
      { dot: b1, value: enc.encode('w1'), contentType: 'text/plain', writtenAt: 0 },
    ],
  };
  const purged: KvRecord = { history, siblings: [both.siblings[1] as KvRecord['siblings'][number]] };
  const divergent = (peak: number): number =>
    checkHistory([], [{ key: 'k', replicas: new Map([['n1', both], ['n2', purged], ['n3', both]]) }], {
      strictQuorums: true,
      clients: 2,
      clockPeakBy: () => peak,
      endedAt: 100,
    }).filter((v) => v.property === 'divergent').length;

  it('count as converged when they differ only in a version some clock has seen expire', () => {
    expect(divergent(1500)).toBe(0);
  });

  it('count as divergent when no clock has reached that version\'s deadline', () => {
    expect(divergent(1499)).toBe(1); // n2, against the first replica (n1)
  });
});

describe('checkHistory: conditional writes', () => {
  const a1 = dot('a', 1);
  const b1 = dot('b', 1);
  const c1 = dot('c', 1);
  const lostUpdates = (ops: HistoryOp[], final: FinalKeyState): string[] =>
    checkHistory(ops, [final], { strictQuorums: true, clients: 3 })
      .filter((v) => v.property === 'lost-update')
      .map((v) => v.detail);

  it('passes one whose quorum read found only versions that were already superseded', () => {
    t = 0;
    // v1 (a1); b writes v2 over it; the client read v2 and writes v3 if it still holds; its read also found a1 (covered).
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: b1, contextIn: ctx({ a: 1 }) }),
      op({ kind: 'put', value: 'v3', dot: c1, contextIn: ctx({ b: 1 }), condition: 'if-match', contextUsed: ctx({ a: 1, b: 1 }) }),
    ];
    expect(lostUpdates(ops, finalOf('v3', c1))).toEqual([]);
  });

  it('flags one whose quorum read found a version its client had not read, still live', () => {
    t = 0;
    // v1 and v2 are concurrent (no contexts); the client read only v1, yet its write superseded v2 too.
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: b1 }),
      op({ kind: 'put', value: 'v3', dot: c1, contextIn: ctx({ a: 1 }), condition: 'if-match', contextUsed: ctx({ a: 1, b: 1 }) }),
    ];
    const found = lostUpdates(ops, finalOf('v3', c1));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('(b:1)');
  });

  it('passes the same when the version the client had not read may have expired', () => {
    t = 0;
    const ops = [
      op({ kind: 'put', value: 'v1', dot: a1 }),
      op({ kind: 'put', value: 'v2', dot: b1, ttlMs: 10, expiresAt: 1000 }),
      op({ kind: 'put', value: 'v3', dot: c1, contextIn: ctx({ a: 1 }), condition: 'if-match', contextUsed: ctx({ a: 1, b: 1 }) }),
    ];
    expect(checkHistory(ops, [finalOf('v3', c1)], { strictQuorums: true, clients: 3, clockPeakBy: () => 1000 }).filter((v) => v.property === 'lost-update')).toEqual([]);
  });
});

describe('checkHistory: quorums chosen per operation', () => {
  const a1 = dot('a', 1);
  const quorums = { n: 3, r: 2, w: 2 };
  const stale = (writeQuorum: number, readQuorum: number): number => {
    t = 0;
    const ops = [op({ kind: 'put', value: 'v1', dot: a1, quorum: writeQuorum }), op({ kind: 'get', readValues: [], readContext: emptyDots(), quorum: readQuorum })];
    return checkHistory(ops, [finalOf('v1', a1)], { strictQuorums: false, quorums, clients: 1 }).filter((v) => v.property === 'stale-read').length;
  };

  it('asks a read to see a write only when their quorums overlap (W + R > N)', () => {
    expect(stale(3, 1)).toBe(1);
    expect(stale(1, 3)).toBe(1);
    expect(stale(2, 2)).toBe(1);
    expect(stale(2, 1)).toBe(0);
    expect(stale(1, 2)).toBe(0);
  });
});

describe('checkHistory: the final state after a collected tombstone (simulator seed 80234, --quorum 2,1,2)', () => {
  const a1 = dot('a', 1);
  const a2 = dot('a', 2);
  const a3 = dot('a', 3);
  const lostWrites = (ops: HistoryOp[]): string[] =>
    checkHistory(ops, [finalOf('v3', a3)], { strictQuorums: true, clients: 2 })
      .filter((v) => v.property === 'lost-write' || v.property === 'resurrected')
      .map((v) => `${v.property}: ${v.detail}`);
  const put1 = (): HistoryOp => op({ kind: 'put', value: 'v1', dot: a1 });
  const del2 = (): HistoryOp => op({ kind: 'del', dot: a2, contextIn: ctx({ a: 1 }) });
  const put3 = (): HistoryOp => op({ kind: 'put', value: 'v3', dot: a3 });

  it('lets an acknowledged delete be gone once a later read found no record (collected), and a blind write recreated the key', () => {
    expect(lostWrites([put1(), del2(), op({ kind: 'get', readValues: [] }), put3()])).toEqual([]);
  });

  it('lets it be gone when the final history lacks its dot but holds a later one of the same actor (seeds 200063, 200284)', () => {
    // an actor numbers a key's dot only past what its copy holds: a:3 with a:2 missing is a forgotten a:2
    expect(lostWrites([put1(), del2(), put3()])).toEqual([]);
  });

  it('lets it be gone when the final history holds a dot of a later generation of its node (seed 280728)', () => {
    const gone = (laterActor: string): string[] => {
      const d1 = dot('n1#100', 1);
      const n1 = dot(laterActor, 1);
      return checkHistory([op({ kind: 'put', value: 'v1', dot: dot('x', 1) }), op({ kind: 'del', dot: d1, contextIn: ctx({ x: 1 }) }), op({ kind: 'put', value: 'w', dot: n1 })], [finalOf('w', n1)], {
        strictQuorums: true,
        clients: 2,
      })
        .filter((v) => v.property === 'lost-write')
        .map((v) => v.detail);
    };
    expect(gone('n1#150')).toEqual([]); // renewed since: its new dots came after the delete
    expect(gone('n1#50')).toHaveLength(1); // an earlier generation proves nothing
    expect(gone('n2#150')).toHaveLength(1); // nor another node's
  });

  it('still flags the delete as lost when nothing shows its tombstone was collected', () => {
    const b1 = dot('b', 1);
    const found = checkHistory([put1(), del2(), op({ kind: 'put', value: 'w', dot: b1 })], [finalOf('w', b1)], { strictQuorums: true, clients: 2 })
      .filter((v) => v.property === 'lost-write')
      .map((v) => v.detail);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/\(del \) dot a:2 acknowledged and never replaced, but gone$/);
  });
});

describe('checkHistory: a write and lost disks or damaged copies', () => {
  const a1 = dot('a', 1);
  const lost = (w: number, diskLossAt: number[]): string[] =>
    checkHistory([op({ kind: 'put', value: 'v1', dot: a1, quorum: w })], [{ key: 'k', replicas: new Map([['n1', undefined]]) }], { strictQuorums: true, clients: 1, quorums: { n: 3, r: 2, w: 2 }, diskLossAt })
      .map((v) => v.property);

  it('lets a write acknowledged by one replica be gone when a disk was lost after it began', () => {
    expect(lost(1, [t + 100])).toEqual([]);
  });

  it('still flags it without a disk loss after it, and always with w >= 2', () => {
    expect(lost(1, [])).toEqual(['lost-write']);
    expect(lost(1, [0])).toEqual(['lost-write']);
    expect(lost(2, [t + 100])).toEqual(['lost-write']);
  });

  it('a damaged copy of the same key counts as a lost disk for it, not for other keys', () => {
    const lostCopy = (key: string, at: number): string[] =>
      checkHistory([op({ kind: 'put', value: 'v1', dot: a1, quorum: 1 })], [{ key: 'k', replicas: new Map([['n1', undefined]]) }], {
        strictQuorums: true,
        clients: 1,
        quorums: { n: 3, r: 2, w: 2 },
        copiesLostAt: [{ key, at }],
      }).map((v) => v.property);
    expect(lostCopy('k', t + 100)).toEqual([]);
    expect(lostCopy('other', t + 100)).toEqual(['lost-write']);
    expect(lostCopy('k', 0)).toEqual(['lost-write']);
  });

  // Seed 180326 (N=W=2): one replica's disk lost, the other's copy damaged before the first had recovered it.
  it('lets a w=2 write be gone after a lost disk and a damaged copy of its key, not after either alone', () => {
    const lostBoth = (diskLossAt: number[], copiesLostAt: { key: string; at: number }[]): string[] =>
      checkHistory([op({ kind: 'put', value: 'v1', dot: a1 })], [{ key: 'k', replicas: new Map([['n1', undefined]]) }], {
        strictQuorums: true,
        clients: 1,
        quorums: { n: 2, r: 1, w: 2 },
        diskLossAt,
        copiesLostAt,
      }).map((v) => v.property);
    expect(lostBoth([t + 100], [{ key: 'k', at: t + 200 }])).toEqual([]);
    expect(lostBoth([], [{ key: 'k', at: t + 200 }, { key: 'k', at: t + 300 }])).toEqual([]);
    expect(lostBoth([t + 100], [])).toEqual(['lost-write']);
    expect(lostBoth([], [{ key: 'k', at: t + 200 }])).toEqual(['lost-write']);
    expect(lostBoth([t + 100], [{ key: 'other', at: t + 200 }])).toEqual(['lost-write']);
    expect(lostBoth([0], [{ key: 'k', at: t + 200 }])).toEqual(['lost-write']);
  });
});

describe('checkHistory: what a write that may be lost replaced', () => {
  const a1 = dot('a', 1);
  const a2 = dot('a', 2);
  // v1, then a w=1 delete of it; at the end v1 is back (the delete's only copy damaged) or not.
  const resurrected = (copiesLostAt: { key: string; at: number }[]): string[] =>
    checkHistory([op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'del', dot: a2, quorum: 1, contextIn: ctx({ a: 1 }) })], [finalOf('v1', a1)], {
      strictQuorums: true,
      clients: 1,
      quorums: { n: 3, r: 2, w: 2 },
      copiesLostAt,
    }).map((v) => v.property);

  it('lets what a w=1 write replaced come back when a copy of its key was damaged after it began', () => {
    expect(resurrected([{ key: 'k', at: t + 100 }])).toEqual([]);
  });

  it('flags it otherwise', () => {
    expect(resurrected([])).toContain('resurrected');
    expect(resurrected([{ key: 'other', at: t + 100 }])).toContain('resurrected');
  });
});

describe('checkValuesWritten (foreign-value)', () => {
  const a1 = dot('a', 1);
  const foreign = (ops: HistoryOp[], final: FinalKeyState): string[] => checkValuesWritten(ops, [final]).map((v) => v.detail);

  it('passes reads and replicas that show only values clients wrote, whatever the outcome of the write', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1, outcome: 'info' }), read(['v1'], ctx({ a: 1 }))];
    expect(foreign(ops, finalOf('v1', a1))).toEqual([]);
  });

  it('flags a read of a value no client wrote (a damaged copy served)', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), read(['v3'], ctx({ a: 1 }))];
    expect(foreign(ops, finalOf('v1', a1))).toEqual(['get op ' + String((ops[1] as HistoryOp).id) + ' read "v3", which no client wrote']);
  });

  it('flags a replica holding one at the end (a damaged copy kept or spread), and a value written to another key', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', key: 'other', value: 'w1' })];
    expect(foreign(ops, finalOf('v0', a1))).toHaveLength(3);
    expect(foreign(ops, finalOf('w1', a1))).toHaveLength(3);
  });
});
