import { describe, expect, it } from 'vitest';
import {
  DEGRADE_CHAIN,
  NetworkDegrader,
  describeDegrade,
  lossRules,
  netemApplyCommands,
  rootQdiscRemoveCommand,
  planDegrade,
  shapeApplyCommands,
  shapeRateKbit,
  type Degradation,
  type Tool,
} from './chaos-netem.js';
import { ChaosRandom } from './chaos-random.js';
import { nodeHost } from './local-cluster.js';

const hosts = [1, 2, 3, 4, 5].map((i) => nodeHost(i, true));
const d: Degradation = { nodes: [1, 3], delayMs: 120, jitterMs: 30, lossPct: 4, duplicatePct: 2, reorderPct: 10 };

describe('planDegrade', () => {
  it('picks one node (two from four nodes on), distinct, with every figure in its range', () => {
    for (let seed = 0; seed < 100; seed++) {
      for (const size of [1, 3, 4, 5]) {
        const p = planDegrade(size, new ChaosRandom(seed));
        expect(p.nodes).toHaveLength(size >= 4 ? 2 : 1);
        expect(new Set(p.nodes).size).toBe(p.nodes.length);
        for (const i of p.nodes) expect(i >= 0 && i < size).toBe(true);
        expect(p.delayMs >= 50 && p.delayMs <= 200).toBe(true);
        expect(p.jitterMs >= 10 && p.jitterMs <= 50).toBe(true);
        expect(p.lossPct >= 1 && p.lossPct <= 10).toBe(true);
        expect(p.duplicatePct >= 1 && p.duplicatePct <= 5).toBe(true);
        expect(p.reorderPct >= 5 && p.reorderPct <= 25).toBe(true);
      }
    }
  });

  it('is fixed by the seed', () => {
    expect(planDegrade(5, new ChaosRandom(7))).toEqual(planDegrade(5, new ChaosRandom(7)));
  });
});

describe('tc netem commands', () => {
  it('hang a netem under an extra prio band and steer both directions of each degraded address to it', () => {
    expect(netemApplyCommands(d, hosts)).toEqual([
      ['qdisc', 'replace', 'dev', 'lo', 'root', 'handle', '1:', 'prio', 'bands', '4'],
      ['qdisc', 'add', 'dev', 'lo', 'parent', '1:4', 'handle', '40:', 'netem', 'delay', '120ms', '30ms', 'loss', '4%', 'duplicate', '2%', 'reorder', '10%'],
      ['filter', 'add', 'dev', 'lo', 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '127.0.0.12/32', 'flowid', '1:4'],
      ['filter', 'add', 'dev', 'lo', 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'src', '127.0.0.12/32', 'flowid', '1:4'],
      ['filter', 'add', 'dev', 'lo', 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '127.0.0.14/32', 'flowid', '1:4'],
      ['filter', 'add', 'dev', 'lo', 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'src', '127.0.0.14/32', 'flowid', '1:4'],
    ]);
    expect(rootQdiscRemoveCommand()).toEqual(['qdisc', 'del', 'dev', 'lo', 'root']);
  });

  it('never names 127.0.0.1 (the clients\' and other tests\' address) and refuses a node without an address', () => {
    expect(netemApplyCommands(d, hosts).flat().some((a) => a.startsWith('127.0.0.1/'))).toBe(false);
    expect(() => netemApplyCommands({ ...d, nodes: [7] }, hosts)).toThrow(RangeError);
  });

  it('loss-only fallback: a random DROP to and from each degraded address', () => {
    expect(lossRules(d, hosts)).toEqual([
      ['-A', DEGRADE_CHAIN, '-d', '127.0.0.12', '-m', 'statistic', '--mode', 'random', '--probability', '0.0400', '-j', 'DROP'],
      ['-A', DEGRADE_CHAIN, '-s', '127.0.0.12', '-m', 'statistic', '--mode', 'random', '--probability', '0.0400', '-j', 'DROP'],
      ['-A', DEGRADE_CHAIN, '-d', '127.0.0.14', '-m', 'statistic', '--mode', 'random', '--probability', '0.0400', '-j', 'DROP'],
      ['-A', DEGRADE_CHAIN, '-s', '127.0.0.14', '-m', 'statistic', '--mode', 'random', '--probability', '0.0400', '-j', 'DROP'],
    ]);
  });

  it('slow-link fallback: an htb class at the rate that drains a 50 kB queue in the planned delay, fed by the same filters', () => {
    expect(shapeRateKbit(d)).toBe(3333);
    const cmds = shapeApplyCommands(d, hosts);
    expect(cmds.slice(0, 4)).toEqual([
      ['qdisc', 'replace', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '10'],
      ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '100gbit', 'quantum', '200000'],
      ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '3333kbit', 'ceil', '3333kbit'],
      ['qdisc', 'add', 'dev', 'lo', 'parent', '1:20', 'handle', '20:', 'bfifo', 'limit', '50000'],
    ]);
    expect(cmds.slice(4)).toEqual(netemApplyCommands(d, hosts).slice(2).map((f) => [...f.slice(0, -1), '1:20']));
  });

  it('describes what it does', () => {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    expect(describeDegrade(d, ids)).toBe('n2 n4: delay 120±30 ms, loss 4 %, duplicate 2 %, reorder 10 %');
    expect(describeDegrade(d, ids, { kind: 'fallback', shaped: true, loss: true, why: '' })).toBe('n2 n4: rate 3333 kbit (queue ≤ 120 ms), loss 4 % (fallback: no netem)');
    expect(describeDegrade(d, ids, { kind: 'fallback', shaped: false, loss: true, why: '' })).toBe('n2 n4: loss 4 % (fallback: no netem)');
  });
});

/** A fake tc/iptables: records calls, fails those `fails` picks. */
function fakeRunner(fails: (tool: Tool, args: readonly string[]) => boolean) {
  const calls: string[] = [];
  const run = async (tool: Tool, args: readonly string[]): Promise<void> => {
    calls.push(`${tool} ${args.join(' ')}`);
    if (fails(tool, args)) throw new Error(`${tool}: Specified qdisc kind is unknown.`);
  };
  return { calls, run };
}

describe('NetworkDegrader', () => {
  it('uses netem when the probe works, and heal and tearDown remove the root qdisc', async () => {
    const f = fakeRunner(() => false);
    const g = new NetworkDegrader(hosts, f.run);
    expect(await g.setUp()).toEqual({ kind: 'netem' });
    f.calls.length = 0;
    expect(await g.apply(d)).toBe(true);
    await g.heal();
    expect(f.calls.at(-1)).toBe('tc qdisc del dev lo root');
    await g.apply(d);
    f.calls.length = 0;
    await g.tearDown();
    expect(f.calls).toEqual(['tc qdisc del dev lo root']);
  });

  it('falls back to htb shaping and iptables loss when netem is missing, and heal and tearDown remove both', async () => {
    const f = fakeRunner((tool, args) => tool === 'tc' && args.includes('netem'));
    const g = new NetworkDegrader(hosts, f.run);
    expect(await g.setUp()).toMatchObject({ kind: 'fallback', shaped: true, loss: true });
    expect(f.calls).toContain('tc qdisc del dev lo root');
    expect(f.calls).toContain(`iptables -I INPUT 1 -j ${DEGRADE_CHAIN}`);
    f.calls.length = 0;
    await g.apply(d);
    expect(f.calls.filter((c) => c.startsWith('tc '))).toEqual(shapeApplyCommands(d, hosts).map((c) => `tc ${c.join(' ')}`));
    expect(f.calls.filter((c) => c.startsWith('iptables ')).every((c) => c.startsWith(`iptables -A ${DEGRADE_CHAIN}`))).toBe(true);
    f.calls.length = 0;
    await g.heal();
    expect(f.calls).toEqual(['tc qdisc del dev lo root', `iptables -F ${DEGRADE_CHAIN}`]);
    await g.apply(d);
    f.calls.length = 0;
    await g.tearDown();
    expect(f.calls).toContain('tc qdisc del dev lo root');
    expect(f.calls).toContain(`iptables -X ${DEGRADE_CHAIN}`);
  });

  it('falls back to iptables loss alone when htb is missing too', async () => {
    const f = fakeRunner((tool, args) => tool === 'tc' && (args.includes('netem') || args.includes('htb')));
    const g = new NetworkDegrader(hosts, f.run);
    expect(await g.setUp()).toMatchObject({ kind: 'fallback', shaped: false, loss: true });
    f.calls.length = 0;
    await g.apply(d);
    expect(f.calls.every((c) => c.startsWith(`iptables -A ${DEGRADE_CHAIN}`))).toBe(true);
    await g.heal();
    expect(f.calls.at(-1)).toBe(`iptables -F ${DEGRADE_CHAIN}`);
  });

  it('is skipped (apply returns false, nothing run) when neither tool can be used', async () => {
    const f = fakeRunner(() => true);
    const g = new NetworkDegrader(hosts, f.run);
    const mode = await g.setUp();
    expect(mode.kind).toBe('skip');
    f.calls.length = 0;
    expect(await g.apply(d)).toBe(false);
    expect(f.calls).toEqual([]);
    await g.tearDown();
  });
});
