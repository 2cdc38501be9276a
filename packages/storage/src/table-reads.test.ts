import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { preadBuildPresent } from './table-reads.js';

const run = promisify(execFile);
const storageDist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// LevelDB fixes its mapping limit when a process opens its first database, so
// each mode is tried in a process of its own, through the built package.
const probe = `
const { LevelStore } = await import(${JSON.stringify(storageDist)});
const [dir, mode] = process.argv.slice(1);
const store = await LevelStore.open(dir, { tableReads: mode, writeBufferBytes: 1 << 20 });
const key = (i) => new TextEncoder().encode('k' + String(i).padStart(6, '0'));
for (let i = 0; i < 20000; i += 500) {
  const ops = [];
  for (let j = i; j < i + 500; j++) ops.push({ type: 'put', key: key(j), value: new Uint8Array(200).fill(j % 251) });
  await store.write(ops);
}
await store.compactRange(new Uint8Array([0]), new Uint8Array([255]));
let found = 0;
for (let i = 0; i < 20000; i += 7) if ((await store.get(key(i)))?.[0] === i % 251) found++;
console.log(JSON.stringify({ tableReads: store.tableReads, mapped: store.mappedTableFiles(), found, env: process.env.LEVELDB_MMAP_LIMIT }));
await store.close();
`;

async function probeMode(mode: string, env: NodeJS.ProcessEnv = process.env): Promise<{ tableReads: string; mapped: number; found: number; env: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-table-reads-'));
  dirs.push(dir);
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe, join(dir, 'db'), mode], { env, timeout: 50_000 });
  return JSON.parse(stdout.trim()) as { tableReads: string; mapped: number; found: number; env: string };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('table reads', () => {
  it('the install built the patched LevelDB (scripts/build-leveldb.mjs)', () => {
    // Without it every node maps its tables and the RSS figures in the README do not hold.
    if (process.env.RINGKV_SKIP_LEVELDB_BUILD === '1') return;
    expect(preadBuildPresent(), 'classic-level has no build/Release with ringkv-build.json: run `node scripts/build-leveldb.mjs` and read its output').toBe(true);
  });

  it.runIf(preadBuildPresent())('pread maps no table file; mmap maps them; both read every record back', async () => {
    const pread = await probeMode('pread');
    expect(pread).toEqual({ tableReads: 'pread', mapped: 0, found: 2858, env: '0' });
    const mmap = await probeMode('mmap');
    expect(mmap.tableReads).toBe('mmap');
    expect(mmap.found).toBe(2858);
    expect(mmap.mapped).toBeGreaterThan(0);
  });

  it.runIf(preadBuildPresent())('the mode asked for wins over a LEVELDB_MMAP_LIMIT inherited from the parent process', async () => {
    const pread = await probeMode('pread', { ...process.env, LEVELDB_MMAP_LIMIT: '1000' });
    expect(pread).toMatchObject({ tableReads: 'pread', mapped: 0 });
  });
});
