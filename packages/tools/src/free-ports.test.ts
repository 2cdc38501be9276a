import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortFloor, findFreePorts, randomBasePortBelowEphemeral, takenPorts } from './free-ports.js';

describe('free ports', () => {
  it('finds distinct free ports and sees which ones get taken', async () => {
    const ports = await findFreePorts(4);
    expect(new Set(ports).size).toBe(4);
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

  it('picks base ports whose whole span stays below the ephemeral range', () => {
    expect(randomBasePortBelowEphemeral(105, () => 0)).toBe(10_000);
    expect(randomBasePortBelowEphemeral(105, () => 0.999_999_9) + 104).toBeLessThan(ephemeralPortFloor);
    expect(randomBasePortBelowEphemeral(10_006, () => 0.999_999_9) + 10_005).toBeLessThan(ephemeralPortFloor);
    expect(() => randomBasePortBelowEphemeral(30_000)).toThrow(RangeError);
  });
});
