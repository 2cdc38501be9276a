import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('runs sections for one key one at a time, in arrival order', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const section = (name: string) => async () => {
      log.push(`${name}:in`);
      await tick();
      log.push(`${name}:out`);
    };
    await Promise.all([m.run('k', section('a')), m.run('k', section('b')), m.run('k', section('c'))]);
    expect(log).toEqual(['a:in', 'a:out', 'b:in', 'b:out', 'c:in', 'c:out']);
    expect(m.size).toBe(0);
  });

  it('lets different keys interleave and survives a throwing section', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const failing = m.run('x', async () => {
      log.push('x');
      await tick();
      throw new Error('boom');
    });
    const other = m.run('y', async () => {
      log.push('y');
    });
    await expect(failing).rejects.toThrow('boom');
    await other;
    expect(log).toEqual(['x', 'y']);
    await m.run('x', async () => log.push('x2'));
    expect(log).toContain('x2');
    expect(m.size).toBe(0);
  });
});
