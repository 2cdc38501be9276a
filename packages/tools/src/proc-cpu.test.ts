import { describe, expect, it } from 'vitest';
import { parseCpuTicks, readCpuSeconds } from './proc-cpu.js';

describe('parseCpuTicks', () => {
  it('adds utime and stime, counting fields after the command name', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 11 0 100 0 0';
    expect(parseCpuTicks(stat)).toBe(325);
  });

  it('is undefined for a line it cannot read', () => {
    expect(parseCpuTicks('garbage')).toBeUndefined();
    expect(parseCpuTicks('1 (x) S 1 2')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('readCpuSeconds', () => {
  it('reads this process\'s CPU time, which grows with work', async () => {
    const before = await readCpuSeconds(process.pid);
    let x = 0;
    const until = Date.now() + 300;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const after = await readCpuSeconds(process.pid);
    expect(before).toBeTypeOf('number');
    expect(after!).toBeGreaterThan(before!);
    expect(x).toBeGreaterThan(0);
  });
});
