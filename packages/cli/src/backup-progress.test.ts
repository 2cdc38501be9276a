import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { ProgressLine, formatBytes, progressBar } from './backup-progress.js';

function fakeIo(tty: boolean): { io: CliIo; err: string[] } {
  const err: string[] = [];
  const stderr = { isTTY: tty, write: (s: string) => err.push(s) };
  return { io: { stdout: { write: () => true }, stderr, env: {}, readStdin: async () => Buffer.alloc(0) }, err };
}

describe('backup/restore progress line', () => {
  it('draws a bounded bar', () => {
    expect(progressBar(0, 10)).toBe('[..........]   0%');
    expect(progressBar(0.5, 10)).toBe('[#####.....]  50%');
    expect(progressBar(2, 10)).toBe('[##########] 100%');
    expect(progressBar(Number.NaN, 4)).toBe('[....]   0%');
  });

  it('redraws one line on a terminal, throttled, and ends it', () => {
    let now = 0;
    const { io, err } = fakeIo(true);
    const p = new ProgressLine(io, true, () => now);
    p.update(0.1, 'a');
    now = 50;
    p.update(0.2, 'skipped: too soon');
    now = 200;
    p.update(0.3, 'b');
    p.done('finished');
    expect(err.join('')).toBe(`\r\x1b[K${progressBar(0.1)} a\r\x1b[K${progressBar(0.3)} b\r\x1b[Kfinished\n`);
  });

  it('writes whole lines, seconds apart, into a log, and nothing with --quiet', () => {
    let now = 10_000;
    const { io, err } = fakeIo(false);
    const p = new ProgressLine(io, true, () => now);
    p.update(undefined, 'one');
    now += 1000;
    p.update(undefined, 'too soon');
    now += 5000;
    p.update(undefined, 'two');
    expect(err).toEqual(['one\n', 'two\n']);
    const quiet = fakeIo(false);
    new ProgressLine(quiet.io, false).update(1, 'x');
    expect(quiet.err).toEqual([]);
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(19 * 1024 * 1024)).toBe('19.0 MiB');
  });
});
