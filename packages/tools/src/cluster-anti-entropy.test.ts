/**
 * Merkle-tree anti-entropy and tombstone GC (issue 4) on real `ringkv node`
 * processes: 3 nodes, N=3 R=2 W=2, so every node replicates every partition
 * and there are no fallbacks (no hints). Exchanges run every 20 ms and the
 * tombstone grace is 500 ms to keep the file fast; every wait polls with a
 * deadline. Tests run in order; the last one kills two nodes for good.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http, kvPath, statusOf, type NodeStatusJson, type RawResponse } from './test-support/raw-http.js';
import { startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const ids = ['n1', 'n2', 'n3'] as const;
/** Fewer than the default 256, so that a full pass over the partitions (recovery, GC) takes a second or two. */
const partitionCount = 64;

/** The fields of GET /status's `antiEntropy` these tests look at. */
interface AeStatus {
  readonly treesBuilt: number;
  readonly treesTotal: number;
  readonly exchanges: number;
  readonly exchangesFailed: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly tombstonesPendingGc: number;
  readonly tombstonesReaped: number;
  readonly gcBlockedByHints: number;
  readonly partitions: readonly { partition: number; lastFullExchangeAgeMs: number | null; safeToCollectUpTo: string | null; tombstonesPending: number }[];
}

const ae = (s: NodeStatusJson): AeStatus => s['antiEntropy'] as AeStatus;
const recovering = (s: NodeStatusJson): { active: boolean; partitionsLeft: number } => s['recovering'] as { active: boolean; partitionsLeft: number };

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe.skipIf(!serverBuilt)('anti-entropy and tombstone GC in a 3-node cluster (N=3 R=2 W=2)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  const url = (id: string): string => cluster.node(id).httpUrl;

  beforeAll(async () => {
    temp = await startTempCluster('anti-entropy', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: [
        '--log-level', 'warn',
        '--ae-interval-ms', '20',
        '--tombstone-grace-ms', '500',
        '--gossip-interval-ms', '200',
        '--handoff-interval-ms', '200',
        '--request-timeout-ms', '1500',
        '--partitions', String(partitionCount),
      ],
    });
    cluster = temp.cluster;
    // Exchanges start once every tree is built; the repair endpoint waits for that too.
    await waitFor(
      async () => (await Promise.all(ids.map((id) => statusOf(url(id))))).every((s) => ae(s).treesBuilt === ae(s).treesTotal && ae(s).exchanges > 0),
      { what: 'every node to have built its trees and exchanged once', timeoutMs: 15_000 },
    );
  });

  afterAll(async () => {
    await temp?.dispose();
  });

  const put = (via: string, key: string, value: string, query = ''): Promise<RawResponse> =>
    http(url(via), kvPath(key, query), { method: 'PUT', body: value, headers: { 'content-type': 'text/plain' } });
  const get = (via: string, key: string, query = ''): Promise<RawResponse> => http(url(via), kvPath(key, query));
  const repair = (via: string, query = ''): Promise<RawResponse> =>
    http(url(via), `/admin/repair${query === '' ? '' : `?${query}`}`, { method: 'POST', timeoutMs: 30_000 });
  const statuses = (of: readonly string[] = ids): Promise<NodeStatusJson[]> => Promise.all(of.map((id) => statusOf(url(id))));

  /** Every node sees every member alive, and a W=3 write through each node succeeds. */
  async function waitUntilWholeClusterServes(): Promise<void> {
    await waitFor(
      async () => {
        for (const s of await statuses()) {
          const notAlive = s.members.filter((m) => m.state !== 'alive').map((m) => `${m.id}=${m.state}`);
          if (notAlive.length > 0) throw new Error(`${s.id} sees ${notAlive.join(', ')}`);
        }
        for (const id of ids) {
          const res = await put(id, `probe-${id}`, 'ok', 'w=3');
          if (res.status !== 204) throw new Error(`PUT w=3 via ${id}: ${res.status} ${res.text().slice(0, 200)}`);
        }
        return true;
      },
      { what: 'every node to see the others alive and take W=3 writes', timeoutMs: 20_000, intervalMs: 200 },
    );
  }

  it('/status shows trees built, exchanges and a safe-to-collect mark and last-exchange age per partition', async () => {
    for (const s of await statuses()) {
      const a = ae(s);
      expect(a.treesBuilt).toBe(partitionCount);
      expect(a.treesTotal).toBe(partitionCount);
      expect(a.exchanges).toBeGreaterThan(0);
      // With 3 nodes and N=3 every node replicates every partition.
      expect(a.partitions.map((p) => p.partition)).toEqual(Array.from({ length: partitionCount }, (_, p) => p));
      for (const p of a.partitions) {
        expect(p.lastFullExchangeAgeMs === null || p.lastFullExchangeAgeMs >= 0).toBe(true);
        expect(p.safeToCollectUpTo === null || !Number.isNaN(Date.parse(p.safeToCollectUpTo))).toBe(true);
        expect(p.tombstonesPending).toBe(0);
      }
      expect(recovering(s)).toEqual({ active: false, partitionsLeft: 0 });
    }
  });

  it('POST /admin/repair?partition=P exchanges that partition with both fellows and returns a summary; a bad partition is a 400 JSON error', async () => {
    const res = await repair('n1', 'partition=17');
    expect(res.status, res.text()).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ partitions: 1, exchanges: 2, failed: 0, keysRepaired: 0 });
    expect(body['bytesSent']).toBeGreaterThan(0);
    expect(body['bytesReceived']).toBeGreaterThan(0);
    const results = body['results'] as { ok: boolean; partition: number; peer: string }[];
    expect(results.map((r) => [r.ok, r.partition, r.peer]).sort()).toEqual([
      [true, 17, 'n2'],
      [true, 17, 'n3'],
    ]);

    for (const bad of [String(partitionCount), '65536', '-1', 'abc', '1.5']) {
      const r = await repair('n2', `partition=${bad}`);
      expect(r.status, `partition=${bad}: ${r.text()}`).toBe(400);
      expect(r.header('content-type')).toMatch(/^application\/json/);
      expect(r.json()).toMatchObject({ error: 'BAD_REQUEST' });
      expect(typeof (r.json() as { message?: unknown }).message).toBe('string');
    }
    // Only POST.
    expect((await http(url('n1'), '/admin/repair')).status).toBe(405);

    // The whole node: every partition with both fellows; nothing differs, so it is cheap.
    const all = await repair('n3');
    expect(all.status, all.text()).toBe(200);
    const sum = all.json() as { partitions: number; exchanges: number; failed: number; keysRepaired: number; bytesSent: number; bytesReceived: number };
    expect(sum).toMatchObject({ partitions: partitionCount, exchanges: 2 * partitionCount, failed: 0, keysRepaired: 0 });
    expect((sum.bytesSent + sum.bytesReceived) / sum.exchanges).toBeLessThan(2048);
  });

  it('POST /admin/repair rejects a partition that is not a plain decimal number', async () => {
    // Number() reads "" as 0 and "0x11" as 17; `ringkv repair --partition` only sends digits, the HTTP API must check too.
    for (const bad of ['', '0x11', '1e1', ' 3']) {
      const r = await repair('n1', `partition=${encodeURIComponent(bad)}`);
      expect(r.status, `partition=${JSON.stringify(bad)}: ${r.text().slice(0, 200)}`).toBe(400);
    }
  });

  it('a node whose data dir is wiped gets every key back by anti-entropy and refuses to answer from its empty store meanwhile', async () => {
    const victim = 'n3';
    const keys = Array.from({ length: 2000 }, (_, i) => `wipe-${i}`);
    await eachLimited(keys, 16, async (key) => {
      const res = await put(key.endsWith('0') ? 'n2' : 'n1', key, `v-${key}`, 'w=3');
      expect(res.status, `${key}: ${res.text()}`).toBe(204);
    });
    const expected = (await statusOf(url('n1'))).keysStored;
    expect((await statusOf(url(victim))).keysStored).toBe(expected);

    await cluster.kill(victim);
    await rm(cluster.node(victim).dataDir, { recursive: true, force: true });
    await cluster.restart(victim);

    // The cluster knew this id before, so the empty store must not answer reads
    // until anti-entropy has gone over every partition: a read through it is
    // answered by the others, never with a 404 from the empty store.
    const seenRecovering = await waitFor(
      async () => {
        const s = await statusOf(url(victim));
        if (recovering(s).active) return true;
        return s.keysStored === expected ? 'already-done' : undefined;
      },
      { what: `${victim} to enter recovery`, timeoutMs: 10_000, intervalMs: 50 },
    );
    if (seenRecovering === true) {
      const res = await get(victim, 'wipe-7', 'r=1');
      expect(res.status, res.text()).toBe(200);
      expect(res.text()).toBe('v-wipe-7');
    }

    const done = await waitFor(
      async () => {
        const [mine, ...others] = await statuses([victim, 'n1', 'n2']);
        if (mine === undefined) return undefined;
        const counts = [mine, ...others].map((s) => `${s.id} ${s.keysStored}`).join(', ');
        // thrown, so that a timeout says which it was waiting for
        if (recovering(mine).active) throw new Error(`still recovering (${recovering(mine).partitionsLeft} partitions left); keys: ${counts}`);
        if (others.every((o) => o.keysStored === mine.keysStored) && mine.keysStored === expected) return mine;
        throw new Error(`recovered, but keys stored differ (expected ${expected}): ${counts}`);
      },
      // 128 exchanges (64 partitions × 2 fellows): ~17 s alone on 2 busy cores, but a full parallel
      // suite once took over 40 s, so allow 90 s (the test's own timeout is set below)
      { what: `${victim} to hold every key again and leave recovery`, timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(recovering(done).partitionsLeft).toBe(0);
    // It noticed the lost data, whether or not a poll caught it in the act.
    expect(await cluster.logTail(victim, 200)).toMatch(/recovering: reads refused/);
    expect(ae(done).keysRepaired + ae((await statusOf(url('n1')))).keysRepaired + ae(await statusOf(url('n2'))).keysRepaired).toBeGreaterThan(0);

    // Alone, with R=1: every key must come from its own store.
    await cluster.kill('n1');
    await cluster.kill('n2');
    const missing: string[] = [];
    await eachLimited(keys, 16, async (key) => {
      const res = await get(victim, key, 'r=1');
      if (res.status !== 200 || res.text() !== `v-${key}`) missing.push(`${key}: ${res.status} ${res.text().slice(0, 80)}`);
    });
    expect(missing.slice(0, 10), `${missing.length} keys missing on the repaired node`).toEqual([]);

    // The next tests need the whole cluster again, with every node seeing every other up.
    await cluster.restart('n1');
    await cluster.restart('n2');
    await waitUntilWholeClusterServes();
  }, 150_000);

  // Shared by the two GC tests below.
  const gcKeys = Array.from({ length: 8 }, (_, i) => `gc-${i}`);
  let gcKeysBefore: number[] = [];
  let gcReapedBefore: number[] = [];

  it('a key deleted while one replica was down stays deleted after it returns and anti-entropy and GC have run', async () => {
    const victim = 'n2';
    const keys = gcKeys;
    for (const key of keys) expect((await put('n1', key, `old-${key}`, 'w=3')).status).toBe(204);
    const before = await statuses();
    gcKeysBefore = before.map((s) => s.keysStored);
    gcReapedBefore = before.map((s) => ae(s).tombstonesReaped);

    await cluster.kill(victim);
    for (const [i, key] of keys.entries()) {
      const via = i % 2 === 0 ? 'n1' : 'n3';
      const seen = await get(via, key);
      expect(seen.status).toBe(200);
      const del = await http(url(via), kvPath(key, 'w=2'), { method: 'DELETE', headers: { 'x-context': seen.header('x-context') ?? '' } });
      expect(del.status, del.text()).toBe(204);
    }
    // While the victim is down nothing may be collected: it still holds the old
    // values. Two full passes of exchanges over the partitions, with the grace long past.
    const exchangesAt = (await statuses(['n1', 'n3'])).map((s) => ae(s).exchanges);
    await waitFor(async () => (await statuses(['n1', 'n3'])).every((s, i) => ae(s).exchanges >= (exchangesAt[i] ?? 0) + 2 * partitionCount), {
      what: 'two passes of exchanges on n1 and n3',
      timeoutMs: 20_000,
    });
    for (const [i, s] of (await statuses(['n1', 'n3'])).entries()) {
      expect(ae(s).tombstonesPendingGc).toBe(keys.length);
      expect(ae(s).tombstonesReaped).toBe(gcReapedBefore[i === 0 ? 0 : 2]);
      expect(s.keysStored).toBe(gcKeysBefore[i === 0 ? 0 : 2]);
    }
    for (const key of keys) expect((await get('n1', key, 'r=2')).status).toBe(404);

    await cluster.restart(victim);
    // GC has run everywhere: every node, the victim included, reaped tombstones.
    await waitFor(
      async () => {
        const all = await statuses();
        if (all.every((s, i) => ae(s).tombstonesReaped > (gcReapedBefore[i] ?? 0))) return true;
        throw new Error(`reaped ${all.map((s) => ae(s).tombstonesReaped).join('/')}, pending ${all.map((s) => ae(s).tombstonesPendingGc).join('/')}`);
      },
      { what: 'every node to reap tombstones', timeoutMs: 20_000, intervalMs: 100 },
    );
    for (const id of ids) for (const key of keys) expect((await get(id, key, 'r=3')).status, `${key} via ${id}`).toBe(404);

    // Another full round everywhere (the restarted node still had the old values
    // on disk when it came back): nothing comes back.
    for (const id of ids) {
      const res = await repair(id);
      expect(res.status, res.text()).toBe(200);
      expect((res.json() as { failed: number }).failed).toBe(0);
    }
    for (const id of ids) for (const key of keys) expect((await get(id, key, 'r=3')).status, `${key} via ${id} after repair`).toBe(404);
  });

  it('the tombstones are then collected on every node, each exactly once, and stay collected', async () => {
    const keys = gcKeys;
    // Each node reaps each tombstone once. A tombstone reaped more often than that
    // was sent back by a fellow that still held it (and collected again): then GC
    // never settles, so fail as soon as that shows instead of waiting for the deadline.
    const reapedTwice = (all: readonly NodeStatusJson[]): string | undefined => {
      const extra = all.map((s, i) => ae(s).tombstonesReaped - (gcReapedBefore[i] ?? 0));
      return extra.some((n) => n > keys.length) ? `tombstones reaped per node since the deletes: ${extra.join('/')} for ${keys.length} keys` : undefined;
    };
    const settled = await waitFor(
      async () => {
        const all = await statuses();
        const twice = reapedTwice(all);
        if (twice !== undefined) return twice;
        const done = all.every((s, i) => ae(s).tombstonesPendingGc === 0 && s.keysStored === (gcKeysBefore[i] ?? 0) - keys.length);
        // A throw counts as "not yet" and its message ends up in the timeout error.
        if (!done) throw new Error(`tombstones pending ${all.map((s) => ae(s).tombstonesPendingGc).join('/')}, keys ${all.map((s) => s.keysStored).join('/')}`);
        return 'collected';
      },
      { what: 'the tombstones to be collected on every node', timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(settled).toBe('collected');
    // Two more passes of background exchanges and a manual round: still collected, once.
    const exchangesAt = (await statuses()).map((s) => ae(s).exchanges);
    await waitFor(async () => (await statuses()).every((s, i) => ae(s).exchanges >= (exchangesAt[i] ?? 0) + 2 * partitionCount), {
      what: 'two more passes of exchanges',
      timeoutMs: 20_000,
    });
    for (const id of ids) expect((await repair(id)).status).toBe(200);
    const after = await statuses();
    expect(reapedTwice(after)).toBeUndefined();
    for (const [i, s] of after.entries()) {
      expect(ae(s).tombstonesPendingGc, ids[i]).toBe(0);
      expect(s.keysStored, ids[i]).toBe((gcKeysBefore[i] ?? 0) - keys.length);
    }
    for (const id of ids) for (const key of keys) expect((await get(id, key, 'r=3')).status).toBe(404);
  });
});
