/**
 * A table block LevelDB itself finds damaged: point reads under it are the
 * key's copy lost (CorruptRecordError), scans over it fail, and repairStore
 * rebuilds the directory from what is readable, so the node starts again (with
 * a new epoch) and anti-entropy refills the rest. Real LevelDB in a temp dir.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptRecordError, StoreDamagedError, StoreLockedError } from './errors.js';
import { LevelStore } from './level-store.js';
import { loadOrCreateIdentity, markCleanShutdown } from './node-identity.js';
import { recoveringMetaName } from './recovery-flag.js';
import { ReplicaStore } from './replica-store.js';
import { repairStore } from './store-repair.js';

const enc = new TextEncoder();
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const keyOf = (i: number): Uint8Array => enc.encode(`key-${String(i).padStart(5, '0')}`);
// compressible, so LevelDB snappy-compresses the blocks and a flipped bit breaks decompression
const payloadOf = (i: number): Uint8Array => enc.encode(`\u0092${'compressible value '.repeat(6)}${i}`);
const count = 2000;

/** A store of `count` records in one compacted table, one bit of it flipped a third of the way in. */
async function damagedStore(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-repair-'));
  dirs.push(dir);
  const level = await LevelStore.open(dir);
  await loadOrCreateIdentity(level, 'n1', () => 7);
  const store = new ReplicaStore(level);
  for (let i = 0; i < count; i++) await store.putRecordBytes(0, keyOf(i), payloadOf(i));
  await store.compact();
  await markCleanShutdown(level);
  await level.close();
  const tables = readdirSync(dir).filter((f) => f.endsWith('.ldb'));
  const biggest = tables.map((f) => join(dir, f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0] as string;
  const bytes = readFileSync(biggest);
  // Four bytes inverted a third of the way in, inside a compressed block: a single flipped bit can land
  // on a literal byte snappy passes through (then only ringkv's checksum sees it, a different test).
  const at = Math.floor(bytes.length / 3);
  for (let i = at; i < at + 4; i++) bytes[i] = (bytes[i] as number) ^ 0xff;
  writeFileSync(biggest, bytes);
  return dir;
}

describe('a table block LevelDB finds damaged', () => {
  it('is a lost copy to point reads, and fails scans', async () => {
    const dir = await damagedStore();
    const level = await LevelStore.open(dir);
    try {
      const store = new ReplicaStore(level);
      let lost = 0;
      for (let i = 0; i < count; i++) {
        try {
          expect(await store.getRecordBytes(0, keyOf(i))).toEqual(payloadOf(i));
        } catch (err) {
          expect(err).toBeInstanceOf(CorruptRecordError);
          lost++;
        }
      }
      expect(lost).toBeGreaterThan(0);
      expect(lost).toBeLessThan(count / 10);
      await expect(
        (async () => {
          for await (const _ of store.scanPartition(0));
        })(),
      ).rejects.toMatchObject({ code: 'LEVEL_CORRUPTION' });
    } finally {
      await level.close();
    }
  });

  it('repairStore keeps every readable record, makes scans work and the next start take a new epoch', async () => {
    const dir = await damagedStore();
    const outcome = await repairStore(dir);
    expect(outcome.records).toBeGreaterThan(count * 0.9);
    expect(outcome.records).toBeLessThan(count);
    const level = await LevelStore.open(dir);
    try {
      const store = new ReplicaStore(level);
      let scanned = 0;
      for await (const e of store.scanPartition(0)) {
        expect(e.bytes).toEqual(payloadOf(Number(new TextDecoder().decode(e.key).slice(4))));
        scanned++;
      }
      expect(scanned).toBe(outcome.records);
      // it lost records without knowing which: the node must recover before it serves reads
      expect(await store.getMeta(recoveringMetaName)).toBeDefined();
      const identity = await loadOrCreateIdentity(level, 'n1', () => 7);
      expect(identity.previousShutdownClean).toBe(false);
      expect(identity.epoch).toBe(8);
    } finally {
      await level.close();
    }
  });

  it('once a compaction read it, LevelDB refuses every write (StoreDamagedError, counted) until repairStore', async () => {
    const dir = await damagedStore();
    let level = await LevelStore.open(dir);
    try {
      const store = new ReplicaStore(level);
      // writes over the damaged table's key range: compacting them in must read its blocks
      for (let i = 0; i < count; i += 7) await store.putRecordBytes(0, keyOf(i), payloadOf(i + 1));
      await store.compact(); // resolves: LevelDB keeps the failure as its background error
      const refused = await store.putRecordBytes(0, keyOf(1), payloadOf(2)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreDamagedError);
      expect((refused as Error).message).toMatch(/stopped taking writes.*ringkv repair-store --data/);
      await expect(store.putMeta('x', enc.encode('y'))).rejects.toBeInstanceOf(StoreDamagedError);
      expect(level.writeStats.refusedDamaged).toBe(2);
      expect(level.writeStats.refusedFull).toBe(0);
      // reads of intact blocks still work
      expect(await store.getRecordBytes(0, keyOf(count - 1))).toEqual(payloadOf(count - 1));
    } finally {
      await level.close();
    }
    await repairStore(dir);
    level = await LevelStore.open(dir);
    try {
      const store = new ReplicaStore(level);
      await store.putRecordBytes(0, keyOf(1), payloadOf(2));
      await store.compact();
      await store.putRecordBytes(0, keyOf(2), payloadOf(3));
      expect(await store.getRecordBytes(0, keyOf(2))).toEqual(payloadOf(3));
      expect(level.writeStats.refusedDamaged).toBe(0);
    } finally {
      await level.close();
    }
  });

  it('repairStore refuses a directory a node has open, and one with no store', async () => {
    const dir = await damagedStore();
    const level = await LevelStore.open(dir);
    try {
      await expect(repairStore(dir)).rejects.toBeInstanceOf(StoreLockedError);
    } finally {
      await level.close();
    }
    await expect(repairStore(join(dir, 'nothing-here'))).rejects.toThrow(/no LevelDB store/);
  });
});
