import { describe, expect, it } from 'vitest';
import { CHAOS_CHAIN, IptablesUnavailableError, NetworkCutter, crossPairs, cutRules, describeCut, planCut, type NetCut } from './chaos-network.js';
import { faultLog } from './chaos-report.js';
import { parseHistory } from './chaos-history.js';
import { ChaosRandom } from './chaos-random.js';
import { CHAOS_HELP_AFTER, chaosConfig, chaosProgram, usesNetworkFaults } from './chaos-options.js';
import { nodeHost } from './local-cluster.js';

const hosts = [1, 2, 3, 4, 5].map((i) => nodeHost(i, true));
const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Every pair of nodes that can still talk, as "a-b". */
function connected(cut: NetCut, size: number): Set<string> {
  const cutSet = new Set(cut.pairs.map(([a, b]) => `${a}-${b}`));
  const out = new Set<string>();
  for (let a = 0; a < size; a++) for (let b = a + 1; b < size; b++) if (!cutSet.has(`${a}-${b}`)) out.add(`${a}-${b}`);
  return out;
}

describe('nodeHost', () => {
  it('gives node i its own loopback address 127.0.0.(10+i), or 127.0.0.1 for all', () => {
    expect(hosts).toEqual(['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15']);
    expect(nodeHost(3, false)).toBe('127.0.0.1');
    expect(() => nodeHost(245, true)).toThrow(RangeError);
  });
});

describe('planCut', () => {
  it('partition: two halves covering every node once, every pair across cut and no pair within', () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const size of [2, 3, 5, 6]) {
        const cut = planCut('partition', size, new ChaosRandom(seed));
        const [a = [], b = []] = cut.groups;
        expect(cut.groups).toHaveLength(2);
        expect([a.length, b.length]).toEqual([Math.floor(size / 2), Math.ceil(size / 2)]);
        expect([...a, ...b].sort()).toEqual(Array.from({ length: size }, (_, i) => i).sort());
        expect(cut.pairs).toEqual(crossPairs(a, b));
        expect(cut.pairs).toHaveLength(a.length * b.length);
      }
    }
  });

  it('isolate: one node cut from every other, the others untouched', () => {
    for (let seed = 0; seed < 20; seed++) {
      const cut = planCut('isolate', 5, new ChaosRandom(seed));
      const [[alone] = [], rest = []] = cut.groups;
      expect(rest).toHaveLength(4);
      expect(rest).not.toContain(alone);
      expect(cut.pairs).toHaveLength(4);
      for (const [a, b] of cut.pairs) expect(a === alone || b === alone).toBe(true);
      expect(connected(cut, 5).size).toBe(6); // the 4 others still form a full mesh
    }
  });

  it('bridge: two non-empty sides that cannot talk, both still reaching the bridge', () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const size of [3, 5]) {
        const cut = planCut('bridge', size, new ChaosRandom(seed));
        const [a = [], [bridge] = [], b = []] = cut.groups;
        expect(a.length).toBeGreaterThan(0);
        expect(b.length).toBeGreaterThan(0);
        expect(a.length + b.length + 1).toBe(size);
        expect(cut.pairs).toEqual(crossPairs(a, b));
        for (const [x, y] of cut.pairs) expect(x === bridge || y === bridge).toBe(false);
        const up = connected(cut, size);
        for (const x of [...a, ...b]) expect(up.has(x < (bridge as number) ? `${x}-${bridge}` : `${bridge}-${x}`)).toBe(true);
      }
    }
  });

  it('is fixed by the seed and refuses too few nodes', () => {
    expect(planCut('partition', 5, new ChaosRandom(7))).toEqual(planCut('partition', 5, new ChaosRandom(7)));
    expect(() => planCut('bridge', 2, new ChaosRandom(1))).toThrow(/at least 3/);
    expect(() => planCut('isolate', 1, new ChaosRandom(1))).toThrow(/at least 2/);
  });
});

describe('cutRules', () => {
  it('drops both directions of every cut pair, by node address, in our chain', () => {
    const cut: NetCut = { kind: 'isolate', groups: [[2], [0, 1, 3, 4]], pairs: crossPairs([2], [0, 1, 3, 4]) };
    const rules = cutRules(cut, hosts);
    expect(rules).toHaveLength(8);
    expect(rules[0]).toEqual(['-A', CHAOS_CHAIN, '-s', '127.0.0.11', '-d', '127.0.0.13', '-j', 'DROP']);
    expect(rules[1]).toEqual(['-A', CHAOS_CHAIN, '-s', '127.0.0.13', '-d', '127.0.0.11', '-j', 'DROP']);
    const pairs = rules.map((r) => `${r[3]}>${r[5]}`);
    for (const other of ['127.0.0.11', '127.0.0.12', '127.0.0.14', '127.0.0.15']) {
      expect(pairs).toContain(`127.0.0.13>${other}`);
      expect(pairs).toContain(`${other}>127.0.0.13`);
    }
  });

  it('a bridge cut names no rule with the bridge address', () => {
    const cut: NetCut = { kind: 'bridge', groups: [[0, 3], [1], [2, 4]], pairs: crossPairs([0, 3], [2, 4]) };
    const rules = cutRules(cut, hosts);
    expect(rules).toHaveLength(8);
    expect(rules.flat()).not.toContain('127.0.0.12');
    expect(describeCut(cut, ids)).toBe('n1 n4 | n2 (bridge) | n3 n5');
  });

  it('partition of 5: 2×3 pairs, 12 rules', () => {
    const cut: NetCut = { kind: 'partition', groups: [[1, 4], [0, 2, 3]], pairs: crossPairs([1, 4], [0, 2, 3]) };
    expect(cutRules(cut, hosts)).toHaveLength(12);
    expect(describeCut(cut, ids)).toBe('n2 n5 | n1 n3 n4');
  });
});

describe('NetworkCutter', () => {
  function fake(fail: (args: readonly string[]) => NodeJS.ErrnoException | undefined = () => undefined) {
    const calls: string[] = [];
    const run = async (args: readonly string[]): Promise<void> => {
      calls.push(args.join(' '));
      const err = fail(args);
      if (err !== undefined) throw err;
    };
    return { calls, run };
  }

  it('creates the chain and one jump from INPUT, cuts, heals by flushing, and removes it all', async () => {
    let jumps = 0;
    const f = fake((args) => {
      if (args[0] === '-C') return jumps > 0 ? undefined : new Error('no such rule');
      if (args[0] === '-I') jumps++;
      if (args[0] === '-D') return jumps-- > 0 ? undefined : new Error('no such rule');
      return undefined;
    });
    const n = new NetworkCutter(hosts, f.run, 'TEST_CHAIN');
    await n.setUp();
    await n.cut({ kind: 'isolate', groups: [[0], [1]], pairs: [[0, 1]] });
    await n.heal();
    await n.tearDown();
    await n.tearDown();
    expect(f.calls).toEqual([
      '-N TEST_CHAIN',
      '-C INPUT -j TEST_CHAIN',
      '-I INPUT 1 -j TEST_CHAIN',
      '-A TEST_CHAIN -s 127.0.0.11 -d 127.0.0.12 -j DROP',
      '-A TEST_CHAIN -s 127.0.0.12 -d 127.0.0.11 -j DROP',
      '-F TEST_CHAIN',
      '-F TEST_CHAIN',
      '-D INPUT -j TEST_CHAIN',
      '-D INPUT -j TEST_CHAIN',
      '-X TEST_CHAIN',
    ]);
  });

  it('says how to install iptables when the command is missing', async () => {
    const f = fake(() => Object.assign(new Error('spawn iptables ENOENT'), { code: 'ENOENT' }));
    const err = await new NetworkCutter(hosts, f.run).setUp().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IptablesUnavailableError);
    expect((err as Error).message).toMatch(/apt-get install -y iptables/);
  });

  it('reports a permission problem the same way', async () => {
    const f = fake(() => new Error('iptables -N RINGKV_CHAOS: Permission denied (you must be root)'));
    const err = await new NetworkCutter(hosts, f.run).setUp().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IptablesUnavailableError);
    expect((err as Error).message).toMatch(/Permission denied/);
  });
});

describe('network faults in options, history and report', () => {
  const parse = (argv: string[]) => {
    const p = chaosProgram();
    p.parse(['node', 'chaos', ...argv]);
    return chaosConfig(p.opts(), p.args);
  };

  it('accepts the network kinds and knows when they are in use', () => {
    const c = parse(['--faults', 'kill,partition,isolate,bridge']);
    if (typeof c === 'string') throw new Error(c);
    expect(c.faults).toEqual(['kill', 'partition', 'isolate', 'bridge']);
    expect(usesNetworkFaults(c)).toBe(true);
    expect(usesNetworkFaults({ ...c, killEvery: 0 })).toBe(false);
    expect(usesNetworkFaults({ ...c, faults: ['kill', 'pause'] })).toBe(false);
    expect(parse(['--nodes', '2', '--n', '2', '--faults', 'bridge'])).toMatch(/bridge fault needs at least 3 nodes/);
  });

  it('documents every network fault in --help', () => {
    for (const word of ['partition', 'isolate', 'bridge', 'apt-get install -y iptables', 'RINGKV_CHAOS']) expect(CHAOS_HELP_AFTER).toContain(word);
    expect(chaosProgram().helpInformation()).toContain('kill,pause,wipe,partition,isolate,bridge');
  });

  it('reads cut and heal lines back from a history file and shows them in the report', () => {
    const lines = [
      { t: 1000, client: 'nemesis', op: 'partition', node: 'n1 n2 | n3 n4 n5', phase: 'invoke', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] },
      { t: 1010, client: 'nemesis', op: 'partition', node: 'n1 n2 | n3 n4 n5', phase: 'ok', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] },
      { t: 6000, client: 'nemesis', op: 'heal', node: 'n1 n2 | n3 n4 n5', phase: 'invoke' },
      { t: 6005, client: 'nemesis', op: 'heal', node: 'n1 n2 | n3 n4 n5', phase: 'ok' },
    ];
    const events = parseHistory(lines.map((l) => JSON.stringify(l)).join('\n'));
    expect(faultLog(events)).toEqual(['t=  1.0s  partition: cut n1 n2 | n3 n4 n5', 't=  6.0s  heal n1 n2 | n3 n4 n5']);
  });
});
