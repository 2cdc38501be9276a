import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptMetaError, IdentityMismatchError } from './errors.js';
import { metaKey } from './keys.js';
import { LevelStore } from './level-store.js';
import { MemoryStore } from './memory-store.js';
import { loadOrCreateIdentity, markCleanShutdown } from './node-identity.js';

/** Proposes epochs 100, 101, ... like a clock would. */
function epochs(start = 100) {
  let next = start;
  return () => next++;
}

describe('loadOrCreateIdentity', () => {
  it('creates the identity on first start', async () => {
    const id = await loadOrCreateIdentity(new MemoryStore(), 'n1', () => 7);
    expect(id).toEqual({ nodeId: 'n1', epoch: 7, created: true, previousShutdownClean: false });
  });

  it('keeps the epoch after a clean shutdown', async () => {
    let store = new MemoryStore();
    const first = await loadOrCreateIdentity(store, 'n1', epochs());
    await markCleanShutdown(store);
    store = store.crash(); // even a machine crash right after: the flag was synced
    const second = await loadOrCreateIdentity(store, 'n1', epochs(500));
    expect(second).toEqual({ nodeId: 'n1', epoch: first.epoch, created: false, previousShutdownClean: true });
  });

  it('bumps the epoch after an unclean shutdown, and again after the next one', async () => {
    let store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n1', () => 100);
    store = store.reopen(); // killed without markCleanShutdown
    const second = await loadOrCreateIdentity(store, 'n1', () => 100);
    expect(second).toMatchObject({ epoch: 101, created: false, previousShutdownClean: false });
    store = store.crash();
    const third = await loadOrCreateIdentity(store, 'n1', () => 500);
    expect(third.epoch).toBe(500); // a larger proposal wins
    store = store.crash();
    expect((await loadOrCreateIdentity(store, 'n1', () => 3)).epoch).toBe(501); // never goes back
  });

  it('clears the clean flag at start, so a crash during the run still bumps', async () => {
    let store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n1', () => 1);
    await markCleanShutdown(store);
    store = store.reopen();
    expect((await loadOrCreateIdentity(store, 'n1', () => 1)).epoch).toBe(1);
    expect(await store.get(metaKey('clean-shutdown'))).toBeUndefined();
    store = store.crash(); // the cleared flag was synced: it stays cleared
    expect((await loadOrCreateIdentity(store, 'n1', () => 1)).epoch).toBe(2);
  });

  it('persists the bumped epoch durably before returning', async () => {
    let store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n1', () => 1);
    store = store.crash();
    expect((await loadOrCreateIdentity(store, 'n1', () => 1)).epoch).toBe(2);
    store = store.crash({ keepUnsyncedBatches: 0 });
    await markCleanShutdown(store);
    store = store.reopen();
    expect((await loadOrCreateIdentity(store, 'n1', () => 1)).epoch).toBe(2);
  });

  it('refuses a directory that belongs to another node', async () => {
    const store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n2', () => 1);
    const error = await loadOrCreateIdentity(store, 'n1', () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityMismatchError);
    expect((error as Error).message).toBe('data directory belongs to node n2, not n1');
    expect((error as IdentityMismatchError).code).toBe('IDENTITY_MISMATCH');
  });

  it('rejects corrupt identity records and bad epochs instead of guessing', async () => {
    const store = new MemoryStore();
    await store.write([{ type: 'put', key: metaKey('identity'), value: new TextEncoder().encode('{"format":1}') }]);
    await expect(loadOrCreateIdentity(store, 'n1', () => 1)).rejects.toBeInstanceOf(CorruptMetaError);
    await expect(loadOrCreateIdentity(new MemoryStore(), 'n1', () => -1)).rejects.toThrow(RangeError);
    await expect(loadOrCreateIdentity(new MemoryStore(), 'n1', () => 1.5)).rejects.toThrow(RangeError);
    await expect(loadOrCreateIdentity(new MemoryStore(), '', () => 1)).rejects.toThrow(RangeError);
  });

  it('refuses an identity the disk changed, saying what to do, and reads one written before checksums', async () => {
    const store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n1', () => 100);
    const stored = (await store.get(metaKey('identity'))) as Uint8Array;
    const damaged = Uint8Array.from(stored);
    damaged[damaged.length - 3] = (damaged[damaged.length - 3] as number) ^ 0x01; // a digit of the epoch
    await store.write([{ type: 'put', key: metaKey('identity'), value: damaged }]);
    const err = await loadOrCreateIdentity(store, 'n1', () => 200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptMetaError);
    expect((err as Error).message).toMatch(/checksum.*start the node with an empty one under the same id/);
    const legacy = new MemoryStore();
    await legacy.write([{ type: 'put', key: metaKey('identity'), value: new TextEncoder().encode('{"format":1,"nodeId":"n1","epoch":42}') }]);
    expect(await loadOrCreateIdentity(legacy, 'n1', () => 1)).toMatchObject({ epoch: 43, created: false });
    // sealed from then on, a clean restart included
    expect(((await legacy.get(metaKey('identity'))) as Uint8Array)[0]).toBe(0xc1);
    const cleanLegacy = new MemoryStore();
    await cleanLegacy.write([
      { type: 'put', key: metaKey('identity'), value: new TextEncoder().encode('{"format":1,"nodeId":"n1","epoch":42}') },
      { type: 'put', key: metaKey('clean-shutdown'), value: Uint8Array.of(1) },
    ]);
    expect(await loadOrCreateIdentity(cleanLegacy, 'n1', () => 1)).toMatchObject({ epoch: 42, previousShutdownClean: true });
    expect(((await cleanLegacy.get(metaKey('identity'))) as Uint8Array)[0]).toBe(0xc1);
  });

  it('takes a new epoch when the clean-shutdown flag was damaged', async () => {
    const store = new MemoryStore();
    await loadOrCreateIdentity(store, 'n1', () => 100);
    await markCleanShutdown(store);
    const flag = Uint8Array.from((await store.get(metaKey('clean-shutdown'))) as Uint8Array);
    flag[1] = (flag[1] as number) ^ 0x80;
    await store.write([{ type: 'put', key: metaKey('clean-shutdown'), value: flag }]);
    expect(await loadOrCreateIdentity(store, 'n1', () => 100)).toMatchObject({ epoch: 101, previousShutdownClean: false });
  });

  describe('on LevelDB', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('survives real reopen: clean keeps the epoch, unclean bumps it', async () => {
      dir = await mkdtemp(join(tmpdir(), 'ringkv-identity-'));
      const run = async (clean: boolean) => {
        const store = await LevelStore.open(dir as string);
        try {
          const id = await loadOrCreateIdentity(store, 'n1', () => 10);
          if (clean) await markCleanShutdown(store);
          return id.epoch;
        } finally {
          await store.close();
        }
      };
      expect(await run(true)).toBe(10);
      expect(await run(false)).toBe(10); // previous run was clean
      expect(await run(true)).toBe(11); // previous run was not
      expect(await run(true)).toBe(11);
      const store = await LevelStore.open(dir);
      try {
        await expect(loadOrCreateIdentity(store, 'n9', () => 1)).rejects.toThrow(
          'data directory belongs to node n1, not n9',
        );
      } finally {
        await store.close();
      }
    });
  });
});
