import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { formatPlan, progressBar } from './cluster-plan-format.js';
import { runCli } from './program.js';

/** Two stand-in nodes: `a` is asked, `b` is another member whose handoff figures the status adds up. */
interface Fake {
  server: Server;
  url: string;
  seen: { method: string; url: string }[];
  routes: Record<string, (res: ServerResponse) => void>;
}

const fakes: Fake[] = [];
async function fake(): Promise<Fake> {
  const f: Fake = { server: createServer(), url: '', seen: [], routes: {} };
  f.server.on('request', (req, res) => {
    req.resume();
    req.on('end', () => {
      f.seen.push({ method: req.method ?? '', url: req.url ?? '' });
      const route = f.routes[`${req.method} ${(req.url ?? '').replace(/\?.*$/, '')}`];
      if (route === undefined) json(res, 404, { error: 'NOT_FOUND', message: 'no route' });
      else route(res);
    });
  });
  await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
  f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  fakes.push(f);
  return f;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

let a: Fake;
let b: Fake;
beforeAll(async () => {
  a = await fake();
  b = await fake();
});
afterAll(async () => {
  for (const f of fakes) {
    f.server.closeAllConnections();
    await new Promise<void>((resolve) => f.server.close(() => resolve()));
  }
});
beforeEach(() => {
  for (const f of [a, b]) {
    f.seen.length = 0;
    f.routes = {};
  }
});

async function run(args: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (c: string | Uint8Array) => (out += typeof c === 'string' ? c : Buffer.from(c).toString()), isTTY: tty },
    stderr: { write: (c: string) => (err += c) },
    readStdin: () => Promise.resolve(Buffer.from('')),
    env: { RINGKV_NODE: a.url },
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

const staged = { join: [{ id: 'n4', weight: 1 }], leave: [], remove: [] };
const plan = {
  epoch: 1,
  nextEpoch: 2,
  staged,
  ownersMoved: 64,
  transfers: 190,
  nodes: {
    n4: { partitionsIn: 190, partitionsOut: 0, keysIn: 19000, bytesIn: 2_000_000 },
    n1: { partitionsIn: 0, partitionsOut: 63, keysIn: 0, bytesIn: 0 },
    n2: { partitionsIn: 0, partitionsOut: 63, keysIn: 0, bytesIn: 0 },
    n3: { partitionsIn: 0, partitionsOut: 64, keysIn: 0, bytesIn: 0 },
  },
  estimatedSeconds: 2,
  note: 'estimated',
};

const totals = (keysSent: number) => ({ transfersDone: 0, keysSent, bytesSent: keysSent * 100, partitionsDropped: 0, keysDropped: 0 });
const clusterStatus = (done: number, keysSent: number) => ({
  epoch: 2,
  members: ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, weight: 1 })),
  staged: { join: [], leave: [], remove: [] },
  transfers: { total: 190, done, pending: 190 - done },
  pendingSample: done === 190 ? [] : [{ partition: 7, to: 'n4', from: 'n1' }],
  sending: done === 190 ? [] : [{ id: '7>n4', partition: 7, to: 'n4', keysSent: 50, bytesSent: 5000, startedAt: 0, keysPerSecond: 1200 }],
  handoffTotals: totals(keysSent),
});

/** a's /status lists itself and b (b reachable under its own URL). */
function serveMembers(): void {
  const host = (f: Fake): string => f.url.replace('http://', '');
  a.routes['GET /status'] = (res) =>
    json(res, 200, {
      id: 'n1',
      members: [
        { id: 'n1', http: host(a), state: 'alive', partitions: 64 },
        { id: 'n2', http: host(b), state: 'alive', partitions: 64 },
        { id: 'n3', http: '127.0.0.1:1', state: 'dead', partitions: 64 },
        { id: 'n4', http: '127.0.0.1:2', state: 'dead', partitions: 64 },
      ],
    });
}

describe('ringkv cluster join|leave|remove|clear', () => {
  it('stages on the asked node and says what comes next', async () => {
    a.routes['POST /admin/cluster/join'] = (res) => json(res, 200, { staged });
    const r = await run(['cluster', 'join', 'n4']);
    expect(r).toEqual({ code: 0, out: `staged on ${a.url}: join n4\nnext: ringkv cluster plan, then ringkv cluster commit\n`, err: '' });
    expect(a.seen).toEqual([{ method: 'POST', url: '/admin/cluster/join?node=n4' }]);
    const j = await run(['cluster', 'join', 'n4', '--json']);
    expect(JSON.parse(j.out)).toEqual({ node: a.url, staged });
  });

  it('sends every admin call to the first --node only (staging is kept per node)', async () => {
    a.routes['POST /admin/cluster/leave'] = (res) => json(res, 200, { staged: { join: [], leave: ['n2'], remove: [] } });
    for (let i = 0; i < 3; i++) expect((await run(['cluster', 'leave', 'n2', '--node', `${a.url},${b.url}`])).code).toBe(0);
    expect(a.seen).toHaveLength(3);
    expect(b.seen).toHaveLength(0);
  });

  it("exits 1 with the server's refusal", async () => {
    a.routes['POST /admin/cluster/remove'] = (res) => json(res, 400, { error: 'BAD_REQUEST', message: 'n2 is alive: use leave' });
    const r = await run(['cluster', 'remove', 'n2']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`ringkv: BAD_REQUEST (HTTP 400 from ${a.url}): n2 is alive: use leave\n`);
  });

  it('clears', async () => {
    a.routes['POST /admin/cluster/clear'] = (res) => json(res, 200, { staged: { join: [], leave: [], remove: [] } });
    expect((await run(['cluster', 'clear'])).out).toBe(`nothing staged on ${a.url}\n`);
  });

  it('prints help with examples for every subcommand, through the CLI output, exit 0', async () => {
    for (const sub of ['join', 'leave', 'remove', 'plan', 'commit', 'clear', 'status']) {
      const r = await run(['cluster', sub, '--help']);
      expect(r.code, sub).toBe(0);
      expect(r.out, sub).toContain(`ringkv cluster ${sub}`);
      expect(r.out, sub).toContain('Examples:');
      expect(r.out, sub).toContain('--node');
    }
    expect((await run(['cluster', 'nonsense'])).code).toBe(2);
  });
});

describe('ringkv cluster plan|commit', () => {
  it('prints the plan as a table per node', async () => {
    a.routes['GET /admin/cluster/plan'] = (res) => json(res, 200, plan);
    const r = await run(['cluster', 'plan']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('plan: epoch 1 -> 2: join n4');
    expect(r.out).toContain('64 partitions change owner; 190 key partitions are transferred; about 19,000 keys (1.9 MiB), estimated 2 s');
    const lines = r.out.split('\n');
    expect(lines.find((l) => l.startsWith('NODE'))).toMatch(/^NODE\s+PARTITIONS IN\s+PARTITIONS OUT\s+KEYS IN\s+BYTES IN\s+KEYS OUT\s+EST\. TIME$/);
    expect(lines.find((l) => l.startsWith('n4'))).toMatch(/^n4\s+190\s+0\s+19,000\s+1\.9 MiB\s+0\s+2 s$/);
    expect(lines.find((l) => l.startsWith('n3'))).toMatch(/^n3\s+0\s+64\s+0\s+0 B\s+6,400\s+2 s$/);
    expect(JSON.parse((await run(['cluster', 'plan', '--json'])).out)).toEqual(plan);
  });

  it('says when nothing is staged, and that a first commit seals the bootstrap ring', () => {
    const empty = { ...plan, epoch: 0, nextEpoch: 1, staged: { join: [], leave: [], remove: [] }, ownersMoved: 0, transfers: 0, nodes: {} };
    expect(formatPlan(empty)).toContain('a commit now seals the bootstrap ring as epoch 1');
  });

  it('commits and points at status --watch', async () => {
    a.routes['POST /admin/cluster/commit'] = (res) => json(res, 200, plan);
    const r = await run(['cluster', 'commit']);
    expect(r.out).toBe('committed epoch 2 (join n4): 64 partitions change owner, 190 transfers, estimated 2 s\nfollow with: ringkv cluster status --watch\n');
    a.routes['POST /admin/cluster/commit'] = (res) => json(res, 200, { ...plan, epoch: 0, nextEpoch: 1, staged: { join: [], leave: [], remove: [] }, ownersMoved: 0, transfers: 0, nodes: {} });
    expect((await run(['cluster', 'commit'])).out).toContain('sealed the bootstrap ring as epoch 1');
    a.routes['POST /admin/cluster/commit'] = (res) => json(res, 400, { error: 'BAD_REQUEST', message: '3 transfers of epoch 2 are still running' });
    expect((await run(['cluster', 'commit'])).code).toBe(1);
  });
});

describe('ringkv cluster status', () => {
  it('shows the epoch, the members and a progress bar, adding up what every reachable node handed off', async () => {
    serveMembers();
    a.routes['GET /admin/cluster/status'] = (res) => json(res, 200, clusterStatus(95, 1000));
    b.routes['GET /admin/cluster/status'] = (res) => json(res, 200, clusterStatus(95, 500));
    const r = await run(['cluster', 'status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ring epoch 2, as ${a.url} sees it`);
    expect(r.out).toContain('members    4: n1 (alive, 64 partitions), n2 (alive, 64 partitions), n3 (dead, 64 partitions), n4 (dead, 64 partitions)');
    expect(r.out).toContain(`transfers ${progressBar(95, 190)} 95/190 (50%)  handed off 1,500 keys, 146 KiB  2,400 keys/s, 2 running  (no answer: n3, n4)`);
    expect(r.out).toContain('95 transfers pending, e.g. 7:n1->n4');
    const j = JSON.parse((await run(['cluster', 'status', '--json'])).out) as { transfers: unknown; moved: { keysSent: number } };
    expect(j.transfers).toEqual({ total: 190, done: 95, pending: 95 });
    expect(j.moved.keysSent).toBe(1500);
  });

  it('--watch refreshes until no transfer is pending', async () => {
    serveMembers();
    let polls = 0;
    a.routes['GET /admin/cluster/status'] = (res) => {
      polls++;
      json(res, 200, clusterStatus(polls >= 3 ? 190 : 60 * polls, 1000 * polls));
    };
    b.routes['GET /admin/cluster/status'] = (res) => json(res, 500, { error: 'INTERNAL', message: 'x' });
    const r = await run(['cluster', 'status', '--watch', '--interval-ms', '50']);
    expect(r.code).toBe(0);
    const bars = r.out.split('\n').filter((l) => l.startsWith('transfers '));
    expect(bars.map((l) => l.split('  ')[0])).toEqual([
      `transfers ${progressBar(60, 190)} 60/190 (31%)`,
      `transfers ${progressBar(120, 190)} 120/190 (63%)`,
      `transfers ${progressBar(190, 190)} 190/190 (100%)`,
    ]);
    expect(bars[2]).toContain('moved 2,000 keys');
    expect(r.out).toMatch(/no transfer pending in epoch 2 \(watched/);
    const lines = (await run(['cluster', 'status', '--watch', '--json', '--interval-ms', '50'])).out.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1] ?? '{}')).toMatchObject({ epoch: 2, transfers: { pending: 0 } });
  });

  it('rejects a bad --interval-ms as a usage error', async () => {
    const r = await run(['cluster', 'status', '--watch', '--interval-ms', 'soon']);
    expect(r.code).toBe(2);
  });
});
