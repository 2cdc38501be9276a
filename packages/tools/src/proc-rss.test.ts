import { describe, expect, it } from 'vitest';
import { readRssBytes } from './proc-rss.js';

describe('readRssBytes', () => {
  it('reads this process, and nothing for a pid that does not exist', async () => {
    const rss = await readRssBytes(process.pid);
    if (process.platform === 'linux') expect(rss).toBeGreaterThan(1024 * 1024);
    expect(await readRssBytes(2 ** 31 - 1)).toBeUndefined();
  });
});
