import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WrittenValue } from './chaos-bitrot.js';
import { corruptStoredValue, describeCorruption } from './chaos-corrupt.js';
import { ChaosRandom } from './chaos-random.js';
import { findableValue, valueNeedle } from './chaos-values.js';

/** A made-up data dir: the fault only looks for bytes, so tables need not be real LevelDB files. */
describe('corruptStoredValue on a data directory', () => {
  let dir: string;
  const written = (key: string, id: string): WrittenValue => {
    const value = findableValue(id);
    return { key, value, needle: valueNeedle(value) as Buffer };
  };
  const a = written('shared-1', 'c1-0');
  const b = written('c2-k0', 'c2-5');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chaos-corrupt-test-'));
    await mkdir(join(dir, 'db'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('flips one bit inside the needle of a value found in a table, and nothing else', async () => {
    const table = Buffer.concat([Buffer.from('header'), a.needle, Buffer.from('middle'), b.needle, Buffer.from('footer')]);
    await writeFile(join(dir, 'db', '000005.ldb'), table);
    await writeFile(join(dir, 'db', '000006.log'), Buffer.from('nothing of those keys'));
    const out = await corruptStoredValue(dir, [a, b], new ChaosRandom(7));
    expect(out.kind).toBe('flipped');
    if (out.kind !== 'flipped') return;
    const after = await readFile(join(dir, 'db', '000005.ldb'));
    const changed = [...after].flatMap((x, i) => (x === table[i] ? [] : [i]));
    expect(changed).toEqual([out.flip.offset]);
    expect((after[out.flip.offset] as number) ^ (table[out.flip.offset] as number)).toBe(1 << out.flip.bit);
    const start = out.flip.hit.offset;
    expect(out.flip.offset).toBeGreaterThanOrEqual(start);
    expect(out.flip.offset).toBeLessThan(start + 32);
    expect(out).toMatchObject({ tables: 1, found: 2, shadowed: 0 });
    expect(describeCorruption(out)).toMatch(new RegExp(`^flipped bit ${out.flip.bit} of byte ${out.flip.byteInNeedle} of the suffix of .* \\(key (shared-1|c2-k0)\\) in 000005.ldb at offset ${out.flip.offset}`));
  });

  it('leaves out a key the write-ahead log rewrites (its table copy is shadowed)', async () => {
    const table = Buffer.concat([a.needle, Buffer.from('..'), b.needle]);
    await writeFile(join(dir, 'db', '000005.ldb'), table);
    await writeFile(join(dir, 'db', '000009.log'), Buffer.concat([Buffer.from([1, 0, 3]), Buffer.from('shared-1'), Buffer.from([0x90, 0x01])]));
    for (let seed = 0; seed < 20; seed++) {
      await writeFile(join(dir, 'db', '000005.ldb'), table);
      const out = await corruptStoredValue(dir, [a, b], new ChaosRandom(seed));
      expect(out.kind === 'flipped' && out.flip.hit.key).toBe('c2-k0');
      expect(out).toMatchObject({ found: 2, shadowed: 1 });
    }
  });

  it('skips, saying why, when no value is in a table (a value only in the log does not count)', async () => {
    await writeFile(join(dir, 'db', '000005.ldb'), Buffer.from('compressed bytes, nothing literal'));
    await writeFile(join(dir, 'db', '000006.log'), Buffer.concat([a.needle, b.needle]));
    const out = await corruptStoredValue(dir, [a, b], new ChaosRandom(1));
    expect(out).toEqual({ kind: 'skipped', why: "none of the 2 newest values of the workload's keys it is a primary of is in its 1 table file(s)", tables: 1 });
    expect(await readFile(join(dir, 'db', '000006.log'))).toEqual(Buffer.concat([a.needle, b.needle]));
    expect((await corruptStoredValue(dir, [], new ChaosRandom(1))).kind).toBe('skipped');
  });

  it('skips when every value found has a newer write in the log', async () => {
    await writeFile(join(dir, 'db', '000005.ldb'), a.needle);
    await writeFile(join(dir, 'db', '000006.log'), Buffer.from('shared-1\u0095'));
    const out = await corruptStoredValue(dir, [a], new ChaosRandom(1));
    expect(out.kind).toBe('skipped');
    expect(describeCorruption(out)).toBe('each of the 1 values found in the tables has a newer write of its key in the write-ahead log');
    expect(await readFile(join(dir, 'db', '000005.ldb'))).toEqual(a.needle);
  });
});
