import { describe, expect, it } from 'vitest';
import { CorruptionTally, parseCorruptionCounters } from './chaos-corruption-counters.js';
import type { HistoryEvent } from './chaos-history.js';
import { corruptionLines } from './chaos-report.js';

const page = (records: number, hints: number, repaired: number): string =>
  [
    '# HELP ringkv_corrupt_records_total stored records that failed their checksum',
    '# TYPE ringkv_corrupt_records_total counter',
    `ringkv_corrupt_records_total ${records}`,
    `ringkv_corrupt_hints_total ${hints}`,
    `ringkv_corrupt_keys_repaired_total ${repaired}`,
    'ringkv_corrupt_records_total_extra 99',
  ].join('\n');

describe('the nodes\' counts of damaged copies', () => {
  it('reads the three counters of a /metrics page, and nothing from a page without them', () => {
    expect(parseCorruptionCounters(page(2, 1, 2))).toEqual({ records: 2, hints: 1, repaired: 2 });
    expect(parseCorruptionCounters('ringkv_requests_total 5')).toBeUndefined();
  });

  it('sums every process of a node (counters restart at 0) and names the readings it missed', () => {
    const t = new CorruptionTally();
    t.add('n2', { records: 1, hints: 0, repaired: 1 });
    t.add('n10', { records: 0, hints: 3, repaired: 0 });
    t.add('n2', { records: 2, hints: 0, repaired: 1 });
    t.add('n3', undefined);
    expect(t.total()).toEqual({ records: 3, hints: 3, repaired: 2 });
    expect(Object.keys(t.byNode())).toEqual(['n2', 'n10']);
    expect(t.unread).toEqual(['n3']);
  });

  it('reports flips, skips and finds, and warns when flips were found by no node', () => {
    const ev = (phase: 'invoke' | 'ok' | 'fail', error?: string): HistoryEvent => ({ t: 1, client: 'nemesis', op: 'corrupt', node: 'n1', phase, ...(error === undefined ? {} : { error }) });
    const faults = [ev('invoke'), ev('ok'), ev('invoke'), ev('fail', 'skipped: nothing found'), ev('invoke'), ev('ok')];
    const scrub = [{ node: 'n1', corrupt: 0, records: 100 }, { node: 'n2', corrupt: 1, records: 90 }];
    const lines = corruptionLines({ found: { records: 2, hints: 0, repaired: 2 }, byNode: { n1: { records: 1, hints: 0, repaired: 1 }, n2: { records: 1, hints: 0, repaired: 1 } }, unread: [], scrub, behind: [] }, faults);
    expect(lines).toEqual([
      'disk corruption (corrupt fault: 2 bits flipped in stored values, 1 skipped):',
      '  damaged copies the nodes found: 2 records, 0 hints; repaired from the other replicas: 2  (found/repaired: n1 1/1, n2 1/1)',
      '  scrub of every node before the final reads: 1 damaged record(s) found in 190 read (n2 1)',
    ]);
    const none = corruptionLines({ found: { records: 0, hints: 0, repaired: 0 }, byNode: {}, unread: ['n4'], scrub, behind: ['n2'] }, faults);
    expect(none.join('\n')).toMatch(/NOTE: bits were flipped but no node reported a damaged copy/);
    expect(none.join('\n')).toMatch(/not every damaged record was repaired .*: n2/);
    expect(none.join('\n')).toMatch(/counters not read before a kill .*: n4/);
  });
});
