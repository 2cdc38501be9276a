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

  it('keeps a key locked while sections queue behind it, then forgets it', async () => {
    const m = new KeyedMutex();
    let release!: () => void;
    const first = m.run('k', () => new Promise<void>((r) => (release = r)));
    const order: number[] = [];
    const queued = [1, 2, 3].map((i) => m.run('k', async () => void order.push(i)));
    await tick();
    expect(order).toEqual([]);
    expect(m.size).toBe(1);
    release();
    await Promise.all([first, ...queued]);
    expect(order).toEqual([1, 2, 3]);
    expect(m.size).toBe(0);
  });

  it('passes the key on when a queued section throws', async () => {
    const m = new KeyedMutex();
    const results = await Promise.allSettled([
      m.run('k', async () => 'a'),
      m.run('k', async () => {
        throw new Error('b failed');
      }),
      m.run('k', async () => 'c'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(m.size).toBe(0);
  });
});
