import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QuorumTracker } from './quorum.js';

describe('QuorumTracker', () => {
  it('is met after the needed number of successes', () => {
    const q = new QuorumTracker<number>(['a', 'b', 'c'], 2);
    expect(q.outcome).toBe('pending');
    q.succeed('a', 1);
    expect(q.outcome).toBe('pending');
    q.succeed('a', 1); // duplicate reply does not count twice
    expect(q.okCount).toBe(1);
    q.succeed('c', 3);
    expect(q.outcome).toBe('met');
    expect(q.complete).toBe(false);
  });

  it('fails as soon as the quorum is out of reach', () => {
    const q = new QuorumTracker<number>(['a', 'b', 'c'], 2);
    q.fail('a', 'down');
    expect(q.outcome).toBe('pending');
    q.fail('b', 'timeout');
    expect(q.outcome).toBe('failed');
  });

  it('outcome matches a direct count for any reply sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 6 }), ok: fc.boolean() }), { maxLength: 20 }),
        (n, events) => {
          const targets = Array.from({ length: n }, (_, i) => `n${i}`);
          for (let needed = 1; needed <= n; needed++) {
            const q = new QuorumTracker<boolean>(targets, needed);
            const seen = new Map<string, boolean>();
            for (const e of events) {
              const t = `n${e.t % n}`;
              if (e.ok) q.succeed(t, true);
              else q.fail(t, 'x');
              if (!seen.has(t)) seen.set(t, e.ok);
            }
            const ok = [...seen.values()].filter(Boolean).length;
            const bad = seen.size - ok;
            const expected = ok >= needed ? 'met' : ok + (n - ok - bad) >= needed ? 'pending' : 'failed';
            expect(q.outcome).toBe(expected);
          }
        },
      ),
    );
  });
});
