/**
 * A node that was paused (SIGSTOP here; a long GC pause or a stuck VM in
 * production) must not take its own silence for its peers': on waking, the
 * requests that waited in its sockets meanwhile are served by the peers that
 * were up all along, not refused because none was heard from for seconds.
 * Cassandra's failure detector ignores local pauses for the same reason
 * (CASSANDRA-9183). Real processes: the pause is a real SIGSTOP, so the
 * node's timers and its sockets wake together, in libuv's order.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!serverBuilt)('a node paused for longer than failure detection takes', () => {
  let temp: TempCluster | undefined;

  beforeAll(async () => {
    // gossip every 200 ms: a peer silent for 1.6 s is dead; the pause lasts 3 s
    temp = await startTempCluster('local-pause', { nodes: 3, n: 3, r: 2, w: 2, extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--request-timeout-ms', '1500'] });
  }, 60_000);
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  it('serves the requests that waited for it once it wakes, with its peers', async () => {
    const cluster = (temp as TempCluster).cluster;
    const n1 = cluster.node('n1');
    expect((await http(n1.httpUrl, kvPath('paused-key'), { method: 'PUT', body: 'before' })).status).toBe(204);
    const pid = n1.pid as number;
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    try {
      // sent as n1 stops, before any peer's next gossip: they wait in its sockets, ahead of that gossip
      await sleep(20);
      const pending = [
        http(n1.httpUrl, kvPath('paused-key'), { timeoutMs: 20_000 }),
        http(n1.httpUrl, kvPath('paused-key-2'), { method: 'PUT', body: 'during', timeoutMs: 20_000 }),
        http(n1.httpUrl, kvPath('paused-key'), { timeoutMs: 20_000 }),
      ];
      await sleep(2980);
      process.kill(pid, 'SIGCONT');
      resumed = true;
      const [get1, put, get2] = await Promise.all(pending);
      expect([get1?.status, put?.status, get2?.status], `bodies: ${get1?.text()} | ${put?.text()} | ${get2?.text()}`).toEqual([200, 204, 200]);
      expect(get1?.text()).toBe('before');
      // the operator sees it: a warning in n1's log and the pause in its metrics
      const metrics = (await http(n1.httpUrl, '/metrics')).text();
      expect(Number(/^ringkv_local_pauses_total (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^ringkv_local_stopped_seconds_total (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(2);
      expect(await cluster.logTail('n1', 50)).toContain('stopped past its gossip deadline');
    } finally {
      if (!resumed) process.kill(pid, 'SIGCONT');
    }
  }, 60_000);

  it('finishes the requests it was coordinating when it stopped: the answers that came meanwhile count, not its late timeouts', async () => {
    const cluster = (temp as TempCluster).cluster;
    const n1 = cluster.node('n1');
    for (let i = 0; i < 20; i++) expect((await http(n1.httpUrl, kvPath(`busy-${i}`), { method: 'PUT', body: `v${i}` })).status).toBe(204);
    // 24 clients keep n1 busy, so some requests are between their replica calls and the answers when it stops
    let stop = false;
    const statuses: number[] = [];
    const failures: string[] = [];
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const key = kvPath(`busy-${(c + i) % 20}`);
        const res = i % 2 === 0 ? await http(n1.httpUrl, key, { timeoutMs: 20_000 }) : await http(n1.httpUrl, key, { method: 'PUT', body: `c${c}-${i}`, timeoutMs: 20_000 });
        statuses.push(res.status);
        if (res.status >= 500) failures.push(`${i % 2 === 0 ? 'GET' : 'PUT'} ${res.status} ${res.text()}`);
      }
    };
    const clients = Array.from({ length: 24 }, (_, c) => client(c));
    await sleep(1000);
    const pid = n1.pid as number;
    process.kill(pid, 'SIGSTOP');
    await sleep(3000); // twice the request timeout (1.5 s)
    process.kill(pid, 'SIGCONT');
    await sleep(1000);
    stop = true;
    await Promise.all(clients);
    const failed = statuses.filter((s) => s >= 500);
    expect(statuses.length).toBeGreaterThan(100);
    expect(failures, `${failed.length} of ${statuses.length} requests failed`).toEqual([]);
  }, 60_000);
});
