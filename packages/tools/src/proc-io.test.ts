import { describe, expect, it } from 'vitest';
import { parseSyscallCount, readSyscallCount } from './proc-io.js';

describe('parseSyscallCount', () => {
  it('adds syscr and syscw', () => {
    const io = 'rchar: 1000\nwchar: 2000\nsyscr: 17\nsyscw: 25\nread_bytes: 0\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n';
    expect(parseSyscallCount(io)).toBe(42);
  });

  it('is undefined when a field is missing', () => {
    expect(parseSyscallCount('rchar: 1\nsyscr: 3\n')).toBeUndefined();
    expect(parseSyscallCount('')).toBeUndefined();
  });
});

describe('readSyscallCount', () => {
  it('counts this process, and grows as it writes', async () => {
    const before = await readSyscallCount(process.pid);
    if (before === undefined) return; // not Linux: nothing to read
    for (let i = 0; i < 5; i++) process.stdout.write('');
    await readSyscallCount(process.pid); // reading /proc is itself a read
    expect((await readSyscallCount(process.pid))!).toBeGreaterThan(before);
  });

  it('is undefined for a process that does not exist', async () => {
    expect(await readSyscallCount(2 ** 22 + 1)).toBeUndefined();
  });
});
