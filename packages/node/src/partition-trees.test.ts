import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { PartitionTrees } from './partition-trees.js';
import { silentLogger } from './logger.js';

const clock = { now: () => 0, setTimer: () => () => undefined };
const partitions = 2;
// Two keys in two partitions: writes keep replacing each other's records.
const key = (n: number): Uint8Array => new TextEncoder().encode(`k${n}`);

type Step =
  | { readonly kind: 'put'; readonly p: number; readonly k: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly p: number; readonly k: number }
  | { readonly kind: 'failed'; readonly p: number; readonly k: number }
  | { readonly kind: 'behind'; readonly p: number; readonly k: number; readonly bytes: Uint8Array };

// Records below and above the 1 KB the entry-hash cache starts at,
// often one byte apart, so a cached hash is asked about bytes that are nearly its own.
const bytesArb = fc
  .tuple(fc.constantFrom(100, 1024, 2000), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2100 }))
  .map(([length, fill, flip]) => {
    const b = new Uint8Array(length).fill(fill);
    if (flip < length) b[flip] = 9;
    return b;
  });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), p: fc.integer({ min: 0, max: 1 }), k: fc.integer({ min: 0, max: 1 }), bytes: bytesArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), p: fc.integer({ min: 0, max: 1 }), k: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failed' as const), p: fc.integer({ min: 0, max: 1 }), k: fc.integer({ min: 0, max: 1 }) }) },
  // The store changed behind the trees' back (as data does before a partition's tree is built), then the tree was rebuilt.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('behind' as const), p: fc.integer({ min: 0, max: 1 }), k: fc.integer({ min: 0, max: 1 }), bytes: bytesArb }) },
);

async function builtTrees(store: ReplicaStore): Promise<PartitionTrees> {
  const trees = new PartitionTrees(store, partitions, clock, silentLogger);
  await trees.buildAll(() => undefined, () => false);
  return trees;
}

describe('partition trees', () => {
  it('kept in step write by write, equal the trees a fresh scan builds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 40, size: 'max' }), async (steps) => {
        const store = new ReplicaStore(new MemoryStore());
        const trees = await builtTrees(store);
        for (const step of steps) {
          const k = key(step.k);
          if (step.kind === 'behind') {
            await store.putRecordBytes(step.p, k, step.bytes);
            await trees.build(step.p, () => undefined);
            continue;
          }
          await trees.enter(step.p);
          const before = await store.getRecordBytes(step.p, k);
          if (step.kind === 'put') {
            // A copy of the caller's own, as a node hands its encoded record to the store and the trees.
            await store.putRecordBytes(step.p, k, new Uint8Array(step.bytes));
            trees.exit(step.p, k, before, new Uint8Array(step.bytes));
          } else if (step.kind === 'delete') {
            await store.deleteRecord(step.p, k);
            trees.exit(step.p, k, before, undefined);
          } else {
            trees.exit(step.p, k, before, before); // a write that failed: nothing changed
          }
        }
        const fresh = await builtTrees(store);
        for (let p = 0; p < partitions; p++) {
          expect(trees.tree(p)?.root()).toEqual(fresh.tree(p)?.root());
          expect(trees.tree(p)?.entryCount).toBe(fresh.tree(p)?.entryCount);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('building the trees when one partition cannot be read', () => {
  it('builds the others and says what to do about the damaged one', async () => {
    const backend = new MemoryStore();
    const store = new ReplicaStore(backend);
    for (let p = 0; p < 3; p++) await store.putRecordBytes(p, key(p), Uint8Array.of(0x92, p));
    // LevelDB's error for a scan over a damaged table block, for partition 1 only
    const realScan = store.scanPartition.bind(store);
    store.scanPartition = (p, options) => {
      if (p !== 1) return realScan(p, options);
      return (async function* () {
        throw Object.assign(new Error('Corruption: corrupted compressed block contents'), { code: 'LEVEL_CORRUPTION' });
      })();
    };
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_obj: unknown, msg?: string) => void errors.push(msg ?? '') };
    const trees = new PartitionTrees(store, 3, clock, logger);
    await trees.buildAll(() => undefined, () => false);
    expect([0, 1, 2].map((p) => trees.tree(p)?.entryCount)).toEqual([1, undefined, 1]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/partition 1 failed: LevelDB found a damaged table block; stop this node and run `ringkv repair-store --data DIR`/);
  });
});
