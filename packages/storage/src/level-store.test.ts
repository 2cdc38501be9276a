import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StoreLockedError } from './errors.js';
import { LevelStore } from './level-store.js';
import { storeComplianceSuite } from './store-compliance.js';

const suiteRoot = mkdtempSync(join(tmpdir(), 'ringkv-level-suite-'));
const suiteDir = join(suiteRoot, 'db');
storeComplianceSuite(
  'LevelStore',
  () => LevelStore.open(suiteDir),
  () => rm(suiteDir, { recursive: true, force: true }),
);
afterAll(() => rm(suiteRoot, { recursive: true, force: true }));

// Child scripts resolve `classic-level` from this package's node_modules.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Child {
  /** Resolves with the first stdout line. */
  readonly firstLine: Promise<string>;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** Closes stdin; the scripts below exit when it ends. */
  release(): void;
}

/** Runs an ESM script in a fresh Node process (a different LevelDB lock owner). */
function runChild(script: string): Child {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageDir,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing a line`)));
  });
  firstLine.catch(() => undefined); // observed by the test when it awaits
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    firstLine,
    exited,
    kill: (signal) => void child.kill(signal),
    release: () => void child.stdin.end(),
  };
}

const holdScript = (dir: string) => `
  import { ClassicLevel } from 'classic-level';
  const db = new ClassicLevel(${JSON.stringify(dir)});
  await db.open();
  console.log('ready');
  process.stdin.resume();
  process.stdin.on('end', async () => { await db.close(); process.exit(0); });
`;

const tryOpenScript = (dir: string) => `
  import { ClassicLevel } from 'classic-level';
  const db = new ClassicLevel(${JSON.stringify(dir)});
  try { await db.open(); console.log('opened'); await db.close(); }
  catch (e) { console.log(e.cause?.code ?? e.code); }
`;

describe('LevelStore', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-level-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const openStore = async (dir: string) => {
    const store = await LevelStore.open(dir);
    cleanups.push(() => store.close());
    return store;
  };
  const child = (script: string) => {
    const c = runChild(script);
    cleanups.push(async () => {
      c.kill('SIGKILL');
      await c.exited;
    });
    return c;
  };

  it('refuses a directory held by another process, with a clear message', async () => {
    const dir = await tempDir();
    const holder = child(holdScript(dir));
    expect(await holder.firstLine).toBe('ready');
    const error = await LevelStore.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).code).toBe('STORE_LOCKED');
    expect((error as Error).message).toMatch(/^data directory .*ringkv-level-.* is in use by another ringkv process$/);
    holder.release();
    expect(await holder.exited).toBe(0);
    const store = await openStore(dir); // free again once the holder is gone
    expect(await store.get(new Uint8Array([1]))).toBeUndefined();
  });

  it('refuses a second open in the same process without losing the lock', async () => {
    const dir = await tempDir();
    await openStore(dir);
    await expect(LevelStore.open(dir)).rejects.toBeInstanceOf(StoreLockedError);
    await expect(LevelStore.open(join(dir, '.'))).rejects.toBeInstanceOf(StoreLockedError);
    // LevelDB drops its fcntl lock if a second in-process open reaches it;
    // another process must still be kept out.
    const probe = child(tryOpenScript(dir));
    expect(await probe.firstLine).toBe('LEVEL_LOCKED');
  });

  it('can be reopened after close', async () => {
    const dir = await tempDir();
    const first = await LevelStore.open(dir);
    await first.close();
    await openStore(dir);
  });

  it('keeps unsynced writes when its process is killed with SIGKILL', async () => {
    const dir = await tempDir();
    const writer = child(`
      import { ClassicLevel } from 'classic-level';
      const db = new ClassicLevel(${JSON.stringify(dir)}, { keyEncoding: 'view', valueEncoding: 'view' });
      await db.open();
      await db.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(42) }], { sync: false });
      console.log('written');
      setInterval(() => {}, 1000);
    `);
    expect(await writer.firstLine).toBe('written');
    writer.kill('SIGKILL');
    await writer.exited;
    const store = await openStore(dir);
    expect(await store.get(Uint8Array.of(1))).toEqual(Uint8Array.of(42));
  });

  it('coalesces writes issued in the same tick into fewer LevelDB batches', async () => {
    const store = await openStore(await tempDir());
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.write([{ type: 'put', key: Uint8Array.of(i), value: Uint8Array.of(i) }])),
    );
    expect(store.writeStats.writes).toBe(50);
    expect(store.writeStats.batches).toBe(1);
    let n = 0;
    for await (const [k, v] of store.iterate({})) {
      expect(k).toEqual(v);
      n++;
    }
    expect(n).toBe(50);
  });

  it('returns plain Uint8Arrays, not Buffers', async () => {
    const store = await openStore(await tempDir());
    await store.write([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
    expect(Object.getPrototypeOf(await store.get(Uint8Array.of(1)))).toBe(Uint8Array.prototype);
    for await (const [k, v] of store.iterate({})) {
      expect(Object.getPrototypeOf(k)).toBe(Uint8Array.prototype);
      expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    }
  });

  it('estimates the size of a range', async () => {
    const store = await openStore(await tempDir());
    const size = await store.approximateSize({ gte: Uint8Array.of(0), lt: Uint8Array.of(0xff) });
    expect(size).toBeGreaterThanOrEqual(0);
  });

  it('passes cache and write-buffer sizes through', async () => {
    const dir = await tempDir();
    const store = await LevelStore.open(dir, { cacheBytes: 1 << 20, writeBufferBytes: 1 << 20 });
    cleanups.push(() => store.close());
    await store.write([{ type: 'put', key: Uint8Array.of(1), value: new Uint8Array(3 << 20) }], { sync: true });
    expect((await store.get(Uint8Array.of(1)))?.length).toBe(3 << 20);
  });
});
