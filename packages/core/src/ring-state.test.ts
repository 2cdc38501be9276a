import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bootstrapRingState,
  markDone,
  mergeRingStates,
  pendingTransfers,
  planChange,
  replicasOf,
  ringStateFromWire,
  ringStateToWire,
  ringStatesEqual,
  transfersOf,
  type RingState,
} from './ring-state.js';

const Q = 64;
const N = 3;
const members = (k: number) => Array.from({ length: k }, (_, i) => ({ id: `n${i + 1}`, weight: 1 }));

/** A random history of commits and transfer completions, as different nodes might see it. */
const historyArb = fc.record({
  start: fc.integer({ min: 3, max: 6 }),
  steps: fc.array(fc.oneof(fc.constant('join' as const), fc.constant('leave' as const), fc.constant('remove' as const)), { maxLength: 3 }),
  doneFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  author: fc.constantFrom('n1', 'n2', 'n3'),
});

function play(h: { start: number; steps: readonly ('join' | 'leave' | 'remove')[]; doneFraction: number; author: string }): RingState[] {
  let s = bootstrapRingState(members(h.start), Q, N);
  const states = [s];
  let nextId = h.start + 1;
  for (const step of h.steps) {
    // finish the previous epoch's transfers first (commits are refused otherwise)
    s = markDone(s, pendingTransfers(s).map((t) => t.id));
    const ids = s.members.map((m) => m.id);
    const change =
      step === 'join' ? { join: [{ id: `n${nextId++}`, weight: 1 }] } : ids.length > N ? { [step]: [ids[ids.length - 1] as string] } : {};
    s = planChange(s, change, h.author).next;
    states.push(s);
    const ts = transfersOf(s);
    s = markDone(s, ts.slice(0, Math.floor(ts.length * h.doneFraction)).map((t) => t.id));
    states.push(s);
  }
  return states;
}

describe('ring state', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(historyArb, historyArb, historyArb, (h1, h2, h3) => {
        const [a, b, c] = [play(h1), play(h2), play(h3)].map((ss) => ss[ss.length - 1] as RingState);
        expect(ringStatesEqual(mergeRingStates(a!, b!), mergeRingStates(b!, a!))).toBe(true);
        expect(ringStatesEqual(mergeRingStates(mergeRingStates(a!, b!), c!), mergeRingStates(a!, mergeRingStates(b!, c!)))).toBe(true);
        expect(ringStatesEqual(mergeRingStates(a!, a!), a!)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a later state of one history always wins over an earlier one', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const states = play(h);
        const last = states[states.length - 1] as RingState;
        for (const s of states) expect(ringStatesEqual(mergeRingStates(s, last), last)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('replicas stay the previous ones until a partition’s transfers are done, then switch', () => {
    let s = bootstrapRingState(members(3), Q, N);
    const plan = planChange(s, { join: [{ id: 'n4', weight: 1 }] }, 'n1');
    s = plan.next;
    expect(plan.ownersMoved).toBe(16); // Q/4: exactly the minimum
    const ts = transfersOf(s);
    expect(ts.length).toBeGreaterThan(0);
    expect(ts.every((t) => t.to === 'n4')).toBe(true);
    const p = ts[0]!.partition;
    expect(replicasOf(s, p)).not.toContain('n4');
    s = markDone(s, ts.filter((t) => t.partition === p).map((t) => t.id));
    expect(replicasOf(s, p)).toContain('n4');
    expect(() => planChange(s, { leave: ['n1'] }, 'n1')).toThrow(/still running/);
  });

  it('a removed node is never a transfer source', () => {
    let s = bootstrapRingState(members(5), Q, N);
    s = planChange(s, { remove: ['n5'] }, 'n1').next;
    for (const t of transfersOf(s)) {
      expect(t.sources).not.toContain('n5');
      expect(t.sources.length).toBeGreaterThan(0);
    }
  });

  it('survives the wire and rejects garbage', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        for (const s of play(h).filter((x) => x.epoch > 0)) {
          const back = ringStateFromWire(ringStateToWire(s));
          expect(back !== undefined && ringStatesEqual(back, s)).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
    expect(ringStateFromWire([1, 1, 'x'])).toBeUndefined();
    expect(ringStateFromWire(null)).toBeUndefined();
  });
});
