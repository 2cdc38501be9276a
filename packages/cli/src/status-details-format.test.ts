import { describe, expect, it } from 'vitest';
import { formatStatusDetails } from './status-details-format.js';

describe('formatStatusDetails', () => {
  it('shows health, hints, repair, gc and recovery', () => {
    const out = formatStatusDetails({
      health: [{ id: 'n2', health: 'dead', lastHeardAgoMs: 12_000, incarnation: 7, phi: 40 }],
      hintsPending: { n2: 5 },
      antiEntropy: {
        treesBuilt: 256,
        treesTotal: 256,
        exchanges: 3,
        lastExchangeAt: 'x',
        keysRepaired: 9,
        keysRepairedLastHour: 2,
        tombstonesPendingGc: 4,
        tombstonesReaped: 1,
        partitions: [{ partition: 0, lastFullExchangeAgeMs: 500, safeToCollectUpTo: '2026-01-01T00:00:00Z' }],
      },
      recovering: { active: true, partitionsLeft: 3 },
    });
    expect(out).toMatch(/n2\s+dead\s+12 s\s+7\s+40/);
    expect(out).toContain('5 for n2');
    expect(out).toContain('keys repaired 9 (last hour 2)');
    expect(out).toContain('4 tombstones pending, 1 collected; 1/1 partitions have a safe-to-collect mark');
    expect(out).toContain('ACTIVE');
  });

  it('names the keys holding many siblings, and what to do, only when there are some', () => {
    expect(formatStatusDetails({ siblingHeavyKeys: [] })).not.toContain('siblings');
    const out = formatStatusDetails({
      siblingHeavyKeys: [
        { key: 'cart "1"', siblings: 60 },
        { key: 'b', siblings: 40 },
        { key: 'c', siblings: 30 },
        { key: 'd', siblings: 25 },
      ],
    });
    expect(out).toContain('siblings   4 keys hold 25 values or more ("cart \\"1\\"" 60, "b" 40, "c" 30, …): writers do not send each other\'s context');
  });

  it('tolerates an old or empty status', () => {
    expect(formatStatusDetails({})).toContain('none pending');
  });

  it('warns about damaged copies only when some were found', () => {
    expect(formatStatusDetails({ corruption: { records: 0, hints: 0, keysRepaired: 0, treesRebuilt: 0 } })).not.toContain('DAMAGED');
    expect(formatStatusDetails({ corruption: { records: 2, hints: 1, keysRepaired: 2, treesRebuilt: 2 } })).toContain(
      'disk       DAMAGED COPIES FOUND: 2 records, 1 hints failed their checksums (2 repaired from other replicas) — check this node\'s disk',
    );
  });

  it('says when the store refuses writes, and what to do', () => {
    expect(formatStatusDetails({ store: { refusedFull: 0, refusedDamaged: 0, diskFull: false, storeDamaged: false } })).not.toMatch(/WRITES STOPPED|FULL:/);
    expect(formatStatusDetails({ store: { refusedFull: 3, refusedDamaged: 0, diskFull: true, storeDamaged: false } })).toContain(
      'disk       FULL: LevelDB refuses every write (3 refused; other replicas take them) — free space and restart this node',
    );
    expect(formatStatusDetails({ store: { refusedFull: 0, refusedDamaged: 7, diskFull: false, storeDamaged: true } })).toContain(
      'disk       WRITES STOPPED: LevelDB read a damaged table block and refuses every write (7 refused; other replicas take them) — stop this node and run `ringkv repair-store --data DIR` on its data directory',
    );
  });
});
