import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Membership, defaultMembershipSettings } from './membership.js';
import type { MemberInfo } from './member-table.js';

const intervalMs = 500;
const settings = defaultMembershipSettings(intervalMs);
const info = (i: number, incarnation = 1): MemberInfo => ({
  id: `n${i}`,
  rpc: `10.0.0.${i}:7100`,
  http: `10.0.0.${i}:7000`,
  weight: 1,
  incarnation,
});

/** A tiny gossip cluster driven by a deterministic stream of choices. */
function simulate(n: number, rounds: number, choose: (k: number) => number, lossPercent: number, dead = new Set<number>()) {
  const nodes = Array.from({ length: n }, (_, i) => new Membership(info(i), settings, 0));
  // Everyone starts knowing only node 0 (the seed), as a bootstrapping cluster does.
  for (const m of nodes) m.merge(nodes[0]!.entries(), 0);
  const converged: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const now = r * intervalMs;
    for (let i = 0; i < n; i++) {
      if (dead.has(i)) continue;
      const me = nodes[i]!;
      me.beat(now);
      const known = me.entries().map((e) => Number(e.info.id.slice(1))).filter((j) => j !== i);
      if (known.length === 0) continue;
      const peer = known[choose(known.length)]!;
      if (dead.has(peer) || choose(100) < lossPercent) continue;
      nodes[peer]!.merge(me.entries(), now);
      if (choose(100) < lossPercent) continue;
      me.merge(nodes[peer]!.entries(), now);
    }
    if (nodes.every((m, i) => dead.has(i) || m.entries().length === n)) converged.push(r);
  }
  return { nodes, firstConvergedRound: converged[0] ?? Infinity };
}

const chooser = (seed: number) => {
  let s = seed >>> 0 || 1;
  return (k: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % k;
  };
};

describe('membership gossip', () => {
  it('every node learns every member in O(log n) rounds, even with message loss', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 32 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 30 }), (n, seed, loss) => {
        const { firstConvergedRound } = simulate(n, 60, chooser(seed), loss);
        // push-pull doubles the informed set per round; loss slows it by 1/(1-p)^2
        const bound = Math.ceil((4 * Math.log2(n) + 6) / ((1 - loss / 100) ** 2));
        expect(firstConvergedRound).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 60 },
    );
  });

  it('declares no live node suspect or dead when nothing is lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 2 ** 31 }), (n, seed) => {
        const rounds = 80;
        const { nodes } = simulate(n, rounds, chooser(seed), 0);
        const now = rounds * intervalMs;
        for (const m of nodes) for (let j = 0; j < n; j++) expect(m.health(`n${j}`, now)).toBe('alive');
      }),
      { numRuns: 100 },
    );
  });

  it('a silent member becomes suspect, then dead, within the detection target', () => {
    const m = new Membership(info(0), settings, 0);
    for (let t = 500; t <= 10_000; t += 500) m.merge([{ info: info(1), heartbeat: t / 500 }], t);
    expect(m.health('n1', 10_000)).toBe('alive');
    expect(m.health('n1', 11_500)).toBe('alive');
    // phi reaches 6 about 2.6 s after the last heartbeat: inside the 5 s target with time to spread
    expect(m.health('n1', 12_800)).toBe('suspect');
    expect(m.health('n1', 10_000 + settings.deadAfterMs)).toBe('dead');
    // It comes back as a new incarnation (a restart): alive again at once.
    m.merge([{ info: info(1, 2), heartbeat: 0 }], 20_000);
    expect(m.health('n1', 20_000)).toBe('alive');
    expect(m.info('n1')?.incarnation).toBe(2);
  });

  it('a node outbids an entry for itself with a newer incarnation', () => {
    const m = new Membership(info(0, 5), settings, 0);
    m.merge([{ info: info(0, 9), heartbeat: 100 }], 10);
    expect(m.self.incarnation).toBe(10);
    expect(m.entries().find((e) => e.info.id === 'n0')?.info.incarnation).toBe(10);
  });
});

describe('membership self entries', () => {
  it('our own entry echoed back by a peer changes nothing', () => {
    const m = new Membership(info(0, 5), settings, 0);
    m.merge([{ info: info(0, 5), heartbeat: 3 }], 10);
    expect(m.self.incarnation).toBe(5);
  });
});

describe('membership across a local pause (this node stopped: GC pause, SIGSTOP, stuck VM)', () => {
  /** A node gossiping as member-gossip does: beat with the exchange's deadline, then the next round's. */
  function gossiping(until: number, peerBeatsUntil = until): Membership {
    const m = new Membership(info(0), settings, 0);
    for (let t = 0; t <= until; t += intervalMs) {
      m.expectToRunBy(t, t + intervalMs);
      m.beat(t);
      if (t <= peerBeatsUntil) m.merge([{ info: info(1), heartbeat: t / intervalMs + 1 }], t);
    }
    return m;
  }

  it('does not hold its own pause of any length against a peer heard just before it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600_000 }), fc.integer({ min: 0, max: intervalMs }), (pauseMs, wokeAfter) => {
        const m = gossiping(10_000);
        // stopped from the deadline (10 500) for pauseMs; on waking it serves a request before its next round
        const woke = 10_000 + intervalMs + pauseMs;
        expect(m.health('n1', woke)).toBe('alive');
        // its round runs and notes the pause; the peer is still judged by the time it was really listening
        expect(m.expectToRunBy(woke + wokeAfter, woke + wokeAfter + intervalMs)).toBe(pauseMs + wokeAfter);
        expect(m.health('n1', woke + wokeAfter)).toBe('alive');
      }),
    );
  });

  it('still convicts a peer that stays silent while this node runs', () => {
    const m = gossiping(10_000);
    // a 30 s pause, then the node runs again on time but never hears the peer
    const woke = 10_500 + 30_000;
    for (let t = woke; t <= woke + 6_000; t += intervalMs) {
      m.expectToRunBy(t, t + intervalMs);
      m.beat(t);
    }
    // silence of its own running time: 0.5 s before the pause and 6 s after
    expect(m.health('n1', woke + 6_000)).toBe('dead');
    expect(m.snapshot(woke + 6_000).find((x) => x.id === 'n1')?.lastHeardAgoMs).toBe(6_500);
  });

  it('judges as before when it never pauses: silence since the last heartbeat, in wall-clock time', () => {
    const m = gossiping(20_000, 10_000);
    expect(m.health('n1', 11_500)).toBe('alive');
    expect(m.health('n1', 12_800)).toBe('suspect');
    expect(m.health('n1', 10_000 + settings.deadAfterMs)).toBe('dead');
  });

  it('still convicts a silent peer within about a round more than usual when the wall clock steps back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600_000 }), (stepBackMs) => {
        const m = gossiping(10_000);
        // the peer dies at 10 000; this node's clock steps back, and it goes on gossiping on time without hearing it
        const resumeAt = 10_000 + intervalMs - stepBackMs;
        let t = resumeAt;
        for (; t <= resumeAt + settings.deadAfterMs + 2 * intervalMs; t += intervalMs) {
          m.expectToRunBy(t, t + intervalMs);
          m.beat(t);
        }
        expect(m.health('n1', t - intervalMs)).toBe('dead');
      }),
    );
  });
});
