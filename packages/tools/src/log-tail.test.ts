import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tailFile } from './log-tail.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tailFile', () => {
  it('reads the last lines, from the last run marker on, and nothing for a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-tail-'));
    dirs.push(dir);
    const path = join(dir, 'n1.log');
    await writeFile(path, '=== run\nold\n=== run\na\nb\nc\n');
    expect(await tailFile(path, 2)).toBe('b\nc');
    expect(await tailFile(path, 10, { sinceLineStartingWith: '=== ' })).toBe('a\nb\nc');
    expect(await tailFile(path, 10, { bytesMax: 3 })).toBe('\nc');
    expect(await tailFile(join(dir, 'missing.log'))).toBe('');
  });
});
