import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { saveReporter } from './save-reporter.js';

describe('saveReporter', () => {
  it('logs the first failed save, then nothing until one succeeds, then says so', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info: (_o, m) => void lines.push(`info ${m}`), warn() {}, error: (_o, m) => void lines.push(`error ${m}`) };
    const report = saveReporter(logger, 'ring state');
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    report(Promise.resolve());
    for (let i = 0; i < 5; i++) report(Promise.reject(new Error('No space left on device')));
    await settle();
    report(Promise.resolve());
    report(Promise.resolve());
    await settle();
    report(Promise.reject(new Error('again')));
    await settle();
    expect(lines).toEqual([
      'error could not persist the ring state (further failures are not logged until a save succeeds)',
      'info the ring state is persisted again',
      'error could not persist the ring state (further failures are not logged until a save succeeds)',
    ]);
  });
});
