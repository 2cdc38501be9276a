/**
 * PN-counters (POST/GET /counter/:key) on real `ringkv node` processes: three
 * nodes, N=3 R=2 W=2. Concurrent increments through every node are all
 * counted, a ttl window ends and starts over, and a small version of the
 * acceptance run (counter-chaos-main.ts) kills a node with SIGKILL mid-way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { runCounterChaos } from './counter-chaos.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/counter-routes.js', import.meta.url)));

const counterPath = (key: string, query = ''): string => `/counter/${encodeURIComponent(key)}${query === '' ? '' : `?${query}`}`;

async function incr(base: string, key: string, delta: number, query = ''): Promise<{ value: number; windowEnd?: number }> {
  const res = await http(base, counterPath(key, query), { method: 'POST', body: JSON.stringify({ delta }), headers: { 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`POST ${counterPath(key, query)}: ${res.status} ${res.text()}`);
  return res.json() as { value: number; windowEnd?: number };
}

async function read(base: string, key: string, r = 2): Promise<number> {
  const res = await http(base, counterPath(key, `r=${r}`));
  if (res.status !== 200) throw new Error(`GET ${counterPath(key)}: ${res.status} ${res.text()}`);
  return (res.json() as { value: number }).value;
}

describe.skipIf(!serverBuilt)('counters in a 3-node cluster (N=3 R=2 W=2)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  let urls: string[];

  beforeAll(async () => {
    temp = await startTempCluster('counter', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--handoff-interval-ms', '200', '--request-timeout-ms', '1500'],
    });
    cluster = temp.cluster;
    urls = cluster.urls();
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  it('counts every concurrent increment made through different nodes, negative ones too', async () => {
    expect(await read(urls[0] as string, 'hits')).toBe(0);
    const deltas = [1, 2, -1, 5];
    // 3 nodes × 4 writers × 25 increments, all at once
    const writers = urls.flatMap((u) =>
      deltas.map(async (d) => {
        let last = -Infinity;
        for (let i = 0; i < 25; i++) last = (await incr(u, 'hits', d)).value;
        return last;
      }),
    );
    await Promise.all(writers);
    const expected = urls.length * 25 * deltas.reduce((a, b) => a + b, 0);
    for (const u of urls) expect(await read(u, 'hits', 3)).toBe(expected);
    // the answer to an increment is the count after it, as its coordinator knows it
    expect((await incr(urls[1] as string, 'hits', 10)).value).toBe(expected + 10);
  });

  it('keeps counters apart from /kv keys of the same name', async () => {
    expect((await http(urls[0] as string, kvPath('hits'))).status).toBe(404);
    expect((await http(urls[0] as string, kvPath('shared'), { method: 'PUT', body: 'v' })).status).toBe(204);
    expect(await read(urls[1] as string, 'shared')).toBe(0);
    expect((await incr(urls[2] as string, 'shared', 4)).value).toBe(4);
    expect((await http(urls[0] as string, kvPath('shared'))).text()).toBe('v');
  });

  it('answers clear 400s and 405s', async () => {
    const base = urls[0] as string;
    const post = (body: string, query = ''): Promise<{ status: number; error: unknown }> =>
      http(base, counterPath('bad', query), { method: 'POST', body }).then((r) => ({ status: r.status, error: (r.json() as { error: unknown }).error }));
    expect(await post('{"delta":1.5}')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('{"delta":"1"}')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('{"delta":10000000000000}')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('{"delta":1,"x":2}')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('not json')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('{"delta":1}', 'ttl=0')).toEqual({ status: 400, error: 'BAD_REQUEST' });
    expect(await post('{"delta":1}', 'w=9')).toEqual({ status: 400, error: 'QUORUM_PARAM_INVALID' });
    const del = await http(base, counterPath('bad'), { method: 'DELETE' });
    expect([del.status, (del.json() as { error: unknown }).error, del.header('allow')]).toEqual([405, 'METHOD_NOT_ALLOWED', 'GET, HEAD, POST']);
    expect(await read(base, 'bad')).toBe(0);
  });

  it('counts within a ttl window, reads 0 once it ended, then starts a new window', async () => {
    const [a, b] = urls as [string, string];
    const first = await incr(a, 'login:alice', 1, 'ttl=1');
    expect(first.value).toBe(1);
    expect(typeof first.windowEnd).toBe('number');
    const second = await incr(b, 'login:alice', 1, 'ttl=60');
    // the first increment of the window fixed its end; unless it ended in between, both counted in it
    if (second.windowEnd === first.windowEnd) expect(second.value).toBe(2);
    await waitFor(async () => (await read(a, 'login:alice')) === 0, { what: 'the window to end', timeoutMs: 10_000 });
    const fresh = await incr(b, 'login:alice', 1, 'ttl=60');
    expect(fresh.value).toBe(1);
    expect(fresh.windowEnd).toBeGreaterThan(first.windowEnd as number);
    expect(await read(a, 'login:alice', 3)).toBe(1);
  });

  it('loses no acknowledged increment when a node is killed with SIGKILL and restarted mid-run', async () => {
    const result = await runCounterChaos({
      cluster,
      key: 'chaos',
      clients: 6,
      incrementsPerClient: 100,
      victim: 2,
      killAfterIncrements: 150,
      downMs: 1000,
      timeoutMs: 10_000,
      seed: 8,
      settleTimeoutMs: 30_000,
      n: 3,
      log: (line) => console.log(`[counter chaos] ${line}`),
    });
    console.log(`[counter chaos] ${JSON.stringify(result)}`);
    expect(result.ok + result.failed + result.unknown).toBe(600);
    expect(result.failed).toBe(0);
    expect(result.withinBounds).toBe(true);
  }, 120_000);
});
