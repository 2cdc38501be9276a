import { describe, expect, it } from 'vitest';
import { checkHistory, type ViolationKind } from './chaos-checker.js';
import { parseHistory, type HistoryEvent, type Phase } from './chaos-history.js';
import { findableValue } from './chaos-values.js';

/**
 * Hand-made histories. Each helper appends an invoke and its completion for
 * one client; contexts are made-up strings, as opaque to the checker as real ones.
 */
class H {
  readonly events: HistoryEvent[] = [];
  private t = 0;

  private add(e: Omit<HistoryEvent, 't' | 'node'> & { node?: string }): this {
    this.events.push({ t: (this.t += 10), node: 'n1', ...e });
    return this;
  }

  get(client: number, key: string, values: string[], ctx?: string): this {
    this.add({ client, op: 'get', key, phase: 'invoke' });
    return this.add({ client, op: 'get', key, phase: 'ok', values, ...(ctx === undefined ? {} : { ctx }), status: values.length === 0 ? 404 : values.length === 1 ? 200 : 300 });
  }

  put(client: number, key: string, value: string, o: { sent?: string; got?: string; phase?: Exclude<Phase, 'invoke'> } = {}): this {
    this.add({ client, op: 'put', key, value, phase: 'invoke', ...(o.sent === undefined ? {} : { ctx: o.sent }) });
    const phase = o.phase ?? 'ok';
    return this.add({ client, op: 'put', key, phase, ...(phase === 'ok' && o.got !== undefined ? { ctx: o.got } : {}), ...(phase === 'ok' ? { status: 204 } : { error: phase === 'fail' ? 'ECONNREFUSED' : 'QUORUM_NOT_MET' }) });
  }

  del(client: number, key: string, id: string, o: { sent?: string; got?: string; phase?: Exclude<Phase, 'invoke'> } = {}): this {
    this.add({ client, op: 'delete', key, value: id, phase: 'invoke', ...(o.sent === undefined ? {} : { ctx: o.sent }) });
    const phase = o.phase ?? 'ok';
    return this.add({ client, op: 'delete', key, phase, ...(phase === 'ok' && o.got !== undefined ? { ctx: o.got } : {}) });
  }

  /** The readers after healing; the checker uses each key's last one. */
  final(key: string, values: string[], reader = 0): this {
    return this.get(reader as number, key, values).retag(`final-${reader}`);
  }

  /** Re-labels the last two events (invoke and completion) as another client's. */
  private retag(client: string): this {
    const n = this.events.length;
    for (let i = n - 2; i < n; i++) {
      const e = this.events[i];
      if (e !== undefined) this.events[i] = { ...e, client };
    }
    return this;
  }

  /** An invoke that never completes (the run ended, or the client hung). */
  openPut(client: number, key: string, value: string, sent?: string): this {
    return this.add({ client, op: 'put', key, value, phase: 'invoke', ...(sent === undefined ? {} : { ctx: sent }) });
  }
}

const kinds = (h: H): ViolationKind[] => checkHistory(h.events).violations.map((v) => v.kind);

describe('checkHistory: histories that must pass', () => {
  it('an acknowledged write read back at the end', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'X1' }).final('k', ['c1-0']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.puts).toMatchObject({ acked: 1, ackedPresent: 1, lost: 0 });
  });

  it('an acknowledged write among siblings', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(2, 'k', 'c2-0', { got: 'B' }).final('k', ['c2-0', 'c1-0']);
    expect(checkHistory(h.events).ok).toBe(true);
  });

  it('a value replaced by another client that read it first (GET context → PUT)', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .get(2, 'k', ['c1-0'], 'R1')
      .put(2, 'k', 'c2-0', { sent: 'R1', got: 'B' })
      .final('k', ['c2-0']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.puts).toMatchObject({ acked: 2, ackedPresent: 1, ackedSuperseded: 1, lost: 0 });
  });

  it('a client chaining its own writes replaces its earlier values', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .put(1, 'k', 'c1-1', { sent: 'A', got: 'B' })
      .put(1, 'k', 'c1-2', { sent: 'B', got: 'C' })
      .final('k', ['c1-2']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.puts.ackedSuperseded).toBe(2);
  });

  it('a value replaced by a write of unknown outcome may be gone (and may be back)', () => {
    const base = (): H =>
      new H().put(1, 'k', 'c1-0', { got: 'A' }).get(2, 'k', ['c1-0'], 'R').put(2, 'k', 'c2-0', { sent: 'R', phase: 'info' });
    expect(checkHistory(base().final('k', []).events).ok).toBe(true);
    expect(checkHistory(base().final('k', ['c2-0']).events).ok).toBe(true);
    expect(checkHistory(base().final('k', ['c1-0']).events).ok).toBe(true);
  });

  it('a replacing write still in flight at the end counts as maybe applied', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).get(2, 'k', ['c1-0'], 'R').openPut(2, 'k', 'c2-0', 'R').final('k', []);
    expect(checkHistory(h.events).violations).toEqual([]);
  });

  it('a delete with the context of a read that saw every value leaves the key 404', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .put(2, 'k', 'c2-0', { got: 'B' })
      .get(3, 'k', ['c1-0', 'c2-0'], 'R')
      .del(3, 'k', 'c3-0', { sent: 'R', got: 'D' })
      .final('k', []);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.keysDeleted).toBe(1);
    expect(r.deletes.acked).toBe(1);
  });

  it('a write after a delete, with the delete\'s context, is what the key holds', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .del(1, 'k', 'c1-1', { sent: 'A', got: 'D' })
      .put(1, 'k', 'c1-2', { sent: 'D', got: 'E' })
      .final('k', ['c1-2']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.keysDeleted).toBe(0);
  });

  it('a certainly failed write is not expected, and does not replace anything', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(1, 'k', 'c1-1', { sent: 'A', phase: 'fail' }).final('k', ['c1-0']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.puts.failed).toBe(1);
  });

  it('equal context strings cover the same values, whichever client holds them', () => {
    // Client 3 reads the state client 2 wrote and gets the very context client 2 got back.
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .get(2, 'k', ['c1-0'], 'R')
      .put(2, 'k', 'c2-0', { sent: 'R', got: 'B' })
      .get(3, 'k', ['c2-0'], 'B')
      .put(3, 'k', 'c3-0', { sent: 'B', got: 'C' })
      .final('k', ['c3-0']);
    expect(checkHistory(h.events).ok).toBe(true);
  });

  it('a DELETE without a context (delete what a read finds now) may have replaced anything written before it answered', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .del(2, 'k', 'c2-0', { got: 'D' }) // blind: the server read c1-0 and deleted it
      .final('k', []);
    const r = checkHistory(h.events);
    expect(r.violations).toEqual([]);
    expect(r.puts.ackedSuperseded).toBe(1);
    // …but nothing is certain about it: the key is not due to be 404, c1-0 coming back is no violation.
    expect(r.keysDeleted).toBe(0);
    expect(checkHistory(new H().put(1, 'k', 'c1-0', { got: 'A' }).del(2, 'k', 'c2-0', { got: 'D' }).final('k', ['c1-0']).events).ok).toBe(true);
  });

  it('a write with the context a DELETE without context returned may have replaced what that delete may have', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .put(3, 'k', 'c3-0', { got: 'C' })
      .del(2, 'k', 'c2-0', { got: 'D' })
      .put(2, 'k', 'c2-1', { sent: 'D', got: 'E' })
      .final('k', ['c2-1']);
    expect(checkHistory(h.events).violations).toEqual([]);
  });

  it('uses the last final read of each key and notes keys that changed between rounds', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(2, 'k', 'c2-0').final('k', ['c1-0']).final('k', ['c1-0', 'c2-0']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(true);
    expect(r.changedBetweenFinalReads).toEqual(['k']);
  });

  it('reads a history back from its JSONL text', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).final('k', ['c1-0']);
    const text = h.events.map((e) => JSON.stringify(e)).join('\n');
    expect(checkHistory(parseHistory(text)).ok).toBe(true);
    expect(() => parseHistory('{"t":1,"client":1,"op":"fly","phase":"ok","node":"n1"}')).toThrow(/line 1: unknown op/);
    // every fault op of a recorded run reads back (degrade and clock once did not, for --check)
    const faults = ['corrupt', 'degrade', 'clock', 'clock-back'].map((op, i) => JSON.stringify({ t: i, client: 'nemesis', op, phase: 'invoke', node: 'n1' }));
    expect(parseHistory(faults.join('\n')).map((e) => e.op)).toEqual(['corrupt', 'degrade', 'clock', 'clock-back']);
  });
});

describe('checkHistory: histories that must fail', () => {
  it('an acknowledged write that is gone and that nobody replaced is lost', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(2, 'k', 'c2-0', { got: 'B' }).final('k', ['c2-0']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(false);
    expect(r.puts.lost).toBe(1);
    expect(r.violations[0]).toMatchObject({ kind: 'lost-write', key: 'k', value: 'c1-0' });
  });

  it('a blind write (no context) replaces nothing', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(2, 'k', 'c2-0', { got: 'B' }).final('k', ['c2-0']);
    expect(kinds(h)).toEqual(['lost-write']);
  });

  it('a write whose context came from a read that did not see the value does not replace it', () => {
    const h = new H()
      .get(2, 'k', [], undefined)
      .put(1, 'k', 'c1-0', { got: 'A' }) // concurrent with client 2's read-modify-write
      .put(2, 'k', 'c2-0', { got: 'B' })
      .get(3, 'k', ['c2-0'], 'R3')
      .put(3, 'k', 'c3-0', { sent: 'R3', got: 'C' })
      .final('k', ['c3-0']);
    const r = checkHistory(h.events);
    expect(r.puts.lost).toBe(1);
    expect(r.violations.map((v) => v.value)).toEqual(['c1-0']);
  });

  it('a replacing write that certainly failed does not excuse a missing value', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).get(2, 'k', ['c1-0'], 'R').put(2, 'k', 'c2-0', { sent: 'R', phase: 'fail' }).final('k', []);
    expect(kinds(h)).toEqual(['lost-write']);
  });

  it('an acknowledged write missing on its own key, even if the key reads 404', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).final('k', []);
    expect(kinds(h)).toEqual(['lost-write']);
  });

  it('a deleted key that comes back is resurrected (and its value is a superseded one)', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .get(2, 'k', ['c1-0'], 'R')
      .del(2, 'k', 'c2-0', { sent: 'R', got: 'D' })
      .final('k', ['c1-0']);
    expect(kinds(h).sort()).toEqual(['resurrected-key', 'superseded-value-back']);
  });

  it('a deleted key must stay deleted through a chain of replacements', () => {
    // c1-0 replaced by c2-0 (acknowledged), c2-0 deleted by client 3: the key must be 404.
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .get(2, 'k', ['c1-0'], 'R2')
      .put(2, 'k', 'c2-0', { sent: 'R2', got: 'B' })
      .get(3, 'k', ['c2-0'], 'R3')
      .del(3, 'k', 'c3-0', { sent: 'R3', got: 'D' })
      .final('k', ['c1-0']);
    const r = checkHistory(h.events);
    expect(r.keysDeleted).toBe(1);
    expect(r.violations.map((v) => v.kind).sort()).toEqual(['resurrected-key', 'superseded-value-back']);
  });

  it('a delete that did not see a concurrent write does not make the key 404', () => {
    const run = (): H =>
      new H()
        .put(1, 'k', 'c1-0', { got: 'A' })
        .get(2, 'k', ['c1-0'], 'R')
        .put(3, 'k', 'c3-0', { got: 'C' }) // blind, unseen by the delete
        .del(2, 'k', 'c2-0', { sent: 'R', got: 'D' });
    expect(checkHistory(run().final('k', ['c3-0']).events).ok).toBe(true);
    const r = checkHistory(run().final('k', []).events);
    expect(r.keysDeleted).toBe(0);
    expect(r.violations.map((v) => `${v.kind} ${v.value ?? ''}`)).toEqual(['lost-write c3-0']);
  });

  it('a DELETE without a context does not excuse a value written after it answered', () => {
    const h = new H()
      .del(2, 'k', 'c2-0', { got: 'D' })
      .put(1, 'k', 'c1-0', { got: 'A' })
      .final('k', []);
    expect(kinds(h)).toEqual(['lost-write']);
  });

  it('a superseded value that reappears next to the value that replaced it', () => {
    const h = new H()
      .put(1, 'k', 'c1-0', { got: 'A' })
      .put(1, 'k', 'c1-1', { sent: 'A', got: 'B' })
      .final('k', ['c1-0', 'c1-1']);
    expect(kinds(h)).toEqual(['superseded-value-back']);
  });

  it('the same context string on another key covers nothing of this one', () => {
    // Contexts are per key: {n2:1} on k1 and {n2:1} on k2 name different versions.
    const h = new H()
      .put(1, 'k1', 'c1-0', { got: 'SAME' })
      .put(2, 'k2', 'c2-0', { got: 'SAME' })
      .put(2, 'k2', 'c2-1', { sent: 'SAME', got: 'B' })
      .final('k1', ['c1-0'])
      .final('k2', ['c2-1']);
    expect(checkHistory(h.events).violations).toEqual([]);
    const lost = new H()
      .put(1, 'k1', 'c1-0', { got: 'SAME' })
      .get(2, 'k2', [], 'SAME')
      .put(2, 'k2', 'c2-0', { sent: 'SAME', got: 'B' })
      .final('k1', [])
      .final('k2', ['c2-0']);
    expect(kinds(lost)).toEqual(['lost-write']);
  });

  it('a value nobody wrote, or whose write certainly failed, is a phantom', () => {
    const never = new H().put(1, 'k', 'c1-0', { got: 'A' }).final('k', ['c1-0', 'zz-9']);
    expect(kinds(never)).toEqual(['phantom-value']);
    const failed = new H().put(1, 'k', 'c1-0', { phase: 'fail' }).final('k', ['c1-0']);
    expect(kinds(failed)).toEqual(['phantom-value']);
  });

  it('a key no final read answered cannot be vouched for', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' });
    expect(kinds(h)).toEqual(['unreadable-key']);
  });

  it('a context that no earlier answer returned makes the history malformed', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).put(1, 'k', 'c1-1', { sent: 'FORGED', got: 'B' }).final('k', ['c1-1']);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/context no earlier answer returned/);
    // …and the forged context is taken to cover nothing, so c1-0 is reported lost.
    expect(r.puts.lost).toBe(1);
  });

  it('a completion without an invoke, or two invokes at once, is malformed', () => {
    const h = new H().put(1, 'k', 'c1-0', { got: 'A' }).final('k', ['c1-0']);
    h.events.push({ t: 1e6, client: 1, op: 'put', key: 'k', phase: 'ok', node: 'n1' });
    expect(checkHistory(h.events).problems.join('\n')).toMatch(/without an invoke/);
    const twice = new H().openPut(1, 'k', 'c1-0').put(1, 'k', 'c1-1', { got: 'B' }).final('k', ['c1-1']);
    expect(checkHistory(twice.events).problems.join('\n')).toMatch(/still open/);
  });
});

/**
 * The `corrupt` fault's property: a damaged copy served is a value no client
 * wrote to that key (a phantom). The workload's values then carry a hash
 * suffix, and the checker compares the whole string, so one flipped bit
 * anywhere in it is foreign.
 */
describe('checkHistory: foreign values (a damaged copy served)', () => {
  const v0 = findableValue('c1-0');
  const v1 = findableValue('c2-0');
  /** v0 with bit 4 of one suffix character flipped, as a damaged copy would read */
  const damaged = `${v0.slice(0, -5)}${String.fromCharCode(v0.charCodeAt(v0.length - 5) ^ 0x10)}${v0.slice(-4)}`;

  it('passes when every read, during the run and at the end, returns values clients wrote to that key', () => {
    const h = new H()
      .put(1, 'k', v0, { got: 'A' })
      .put(2, 'k', v1, { got: 'B' })
      .get(3, 'k', [v0, v1], 'AB')
      .final('k', [v0, v1]);
    const r = checkHistory(h.events);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('fails on a read during the run of a value one bit off what was written, though the final read is right', () => {
    expect(damaged).not.toBe(v0);
    expect(damaged.length).toBe(v0.length);
    const h = new H().put(1, 'k', v0, { got: 'A' }).get(3, 'k', [damaged], 'A').final('k', [v0]);
    const r = checkHistory(h.events);
    expect(r.ok).toBe(false);
    expect(r.violations).toEqual([{ kind: 'phantom-value', key: 'k', value: damaged, detail: expect.stringMatching(/client 3 read .* but no PUT wrote it/) as string }]);
    expect(r.puts.lost).toBe(0);
  });

  it('fails on a final read of the damaged copy in place of an acknowledged write: foreign value and lost write', () => {
    const h = new H().put(1, 'k', v0, { got: 'A' }).final('k', [damaged]);
    expect(kinds(h).sort()).toEqual(['lost-write', 'phantom-value']);
  });

  it('fails on a value another key was written with', () => {
    const h = new H().put(1, 'k1', v0, { got: 'A' }).put(2, 'k2', v1, { got: 'B' }).final('k1', [v0, v1]).final('k2', [v1]);
    const r = checkHistory(h.events);
    expect(r.violations.map((v) => [v.kind, v.key, v.value])).toEqual([['phantom-value', 'k1', v1]]);
    expect(r.violations[0]?.detail).toMatch(/it was written to k2/);
  });
});
