import { describe, expect, it } from 'vitest';
import { readRssBreakdown, readRssBytes } from './proc-rss.js';

describe('readRssBytes', () => {
  it('reads this process, and nothing for a pid that does not exist', async () => {
    const rss = await readRssBytes(process.pid);
    if (process.platform === 'linux') expect(rss).toBeGreaterThan(1024 * 1024);
    expect(await readRssBytes(2 ** 31 - 1)).toBeUndefined();
  });

  it('splits out the mapped file pages, which are part of the total', async () => {
    const parts = await readRssBreakdown(process.pid);
    if (process.platform !== 'linux') return;
    // at least the node binary's pages are mapped from a file
    expect(parts?.fileBytes).toBeGreaterThan(0);
    expect(parts!.fileBytes!).toBeLessThanOrEqual(parts!.rssBytes);
    // the peak is at least what is resident now
    expect(parts!.peakBytes!).toBeGreaterThanOrEqual(parts!.rssBytes);
    expect(await readRssBreakdown(2 ** 31 - 1)).toBeUndefined();
  });
});
