import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockSkewer } from './chaos-clock.js';
import { chaosConfig, chaosProgram, usesClockSkew, usesDegrade, usesNetworkFaults, type ChaosConfig } from './chaos-options.js';
import { ChaosRandom } from './chaos-random.js';

describe('ClockSkewer', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('writes standing skews within ±max/2, jumps by max/2..max and back to the standing skew', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringkv-clock-'));
    const ids = ['n1', 'n2', 'n3'];
    const c = new ClockSkewer(dir, ids, new ChaosRandom(3), 8000);
    await c.setUp();
    const base = c.offsets();
    for (const id of ids) {
      expect(Math.abs(base[id] ?? NaN)).toBeLessThanOrEqual(4000);
      expect(Number(await readFile(c.fileOf(id), 'utf8'))).toBe(base[id]);
    }
    let forward = 0;
    let backward = 0;
    for (let k = 0; k < 20; k++) {
      const j = await c.jump(1);
      const size = j.toMs - (base['n2'] ?? 0);
      expect(Math.abs(size)).toBeGreaterThanOrEqual(4000);
      expect(Math.abs(size)).toBeLessThanOrEqual(8000);
      if (size > 0) forward++;
      else backward++;
      expect(Number(await readFile(c.fileOf('n2'), 'utf8'))).toBe(j.toMs);
      const back = await c.reset(1);
      expect(back).toEqual({ fromMs: j.toMs, toMs: base['n2'] });
    }
    expect(forward).toBeGreaterThan(0);
    expect(backward).toBeGreaterThan(0);
    expect(c.offsets()).toEqual(base);
  });
});

describe('chaos options for the clock and degrade faults', () => {
  const parse = (argv: string[]): ChaosConfig | string => {
    const p = chaosProgram();
    p.parse(['node', 'chaos', ...argv]);
    return chaosConfig(p.opts(), p.args);
  };

  it('reads --faults degrade,clock, --clock-skew and --policy', () => {
    const c = parse(['--faults', 'kill,degrade,clock', '--clock-skew', '8', '--policy', 'lww']);
    if (typeof c === 'string') throw new Error(c);
    expect(c).toMatchObject({ faults: ['kill', 'degrade', 'clock'], clockSkew: 8, policy: 'lww' });
    expect([usesDegrade(c), usesClockSkew(c), usesNetworkFaults(c)]).toEqual([true, true, false]);
    const d = parse([]);
    if (typeof d === 'string') throw new Error(d);
    expect(d).toMatchObject({ policy: 'siblings', clockSkew: 5 });
    expect(usesClockSkew({ ...d, faults: ['clock'], killEvery: 0 })).toBe(false);
  });

  it('refuses an unknown policy', () => {
    expect(() => parse(['--policy', 'newest'])).toThrow();
  });
});
