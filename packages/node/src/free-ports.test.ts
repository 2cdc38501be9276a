import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortFloor, findFreePorts, randomBasePortBelowEphemeral, takenPorts } from './free-ports.js';

describe('free ports', () => {
  it('finds distinct free ports and sees which ones get taken', async () => {
    const ports = await findFreePorts(4);
    expect(new Set(ports).size).toBe(4);
    // below the ephemeral range, where no outgoing connection can take one before a node binds it
    for (const p of ports) expect(p).toBeLessThan(ephemeralPortFloor);
    expect(await takenPorts(ports)).toEqual([]);
    const [first] = ports;
    if (first === undefined) throw new Error('no port');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(first, '127.0.0.1', resolve));
    try {
      expect(await takenPorts(ports)).toEqual([first]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('skips a port that is taken and picks another', async () => {
    const [held = 0] = await findFreePorts(1);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
    try {
      // the first pick is the held port, the next one is free
      const picks = [(held - 10_000 + 0.5) / (ephemeralPortFloor - 1 - 10_000), 0];
      let calls = 0;
      const found = await findFreePorts(1, '127.0.0.1', () => {
        calls++;
        return picks.shift() ?? Math.random();
      });
      expect(found).not.toContain(held);
      expect(found).toHaveLength(1);
      expect(calls).toBeGreaterThanOrEqual(2); // the held port was tried first and refused
      expect(await takenPorts([held])).toEqual([held]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('picks base ports whose whole span stays below the ephemeral range', () => {
    expect(randomBasePortBelowEphemeral(105, () => 0)).toBe(10_000);
    expect(randomBasePortBelowEphemeral(105, () => 0.999_999_9) + 104).toBeLessThan(ephemeralPortFloor);
    expect(randomBasePortBelowEphemeral(10_006, () => 0.999_999_9) + 10_005).toBeLessThan(ephemeralPortFloor);
    expect(() => randomBasePortBelowEphemeral(30_000)).toThrow(RangeError);
  });
});
