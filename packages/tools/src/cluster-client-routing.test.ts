/**
 * RingkvClient's partition-aware routing and update() against a real 3-node
 * cluster with N=2, so each key has a node that is not its replica. Each
 * node's /status counts the requests it coordinated (`gets`, `writes`) and the
 * writes it had to forward; routed requests must never reach a non-replica.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RingkvClient } from '@ringkv/client';
import { encodeKey, partitionOfKey } from '@ringkv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

interface Counters {
  gets: number;
  writes: number;
  forwarded: number;
}

describe.skipIf(!serverBuilt)('client routing against a 3-node cluster (N=2)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  const clients: RingkvClient[] = [];
  const newClient = (routing: 'any' | 'partition-aware'): RingkvClient => {
    const c = new RingkvClient({ nodes: cluster.urls(), timeoutMs: 5000, routing });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    temp = await startTempCluster('client-routing', {
      nodes: 3,
      n: 2,
      // W=N so that a read from either replica (R=1) sees the write just acknowledged: with W=1 the
      // other replica may not have applied it yet (CI saw that race).
      r: 1,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--partitions', '16', '--gossip-interval-ms', '200'],
    });
    cluster = temp.cluster;
    // Route only once every node sees all three up, so no write is coordinated by a stand-in.
    await waitFor(
      async () => {
        const ring = (await http(cluster.node(0).httpUrl, '/ring')).json() as { nodes: Record<string, { state: string }> };
        return Object.values(ring.nodes).filter((m) => m.state === 'up').length === 3;
      },
      { what: 'all three nodes up in /ring' },
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  const counters = async (i: number): Promise<Counters> => {
    const s = (await http(cluster.node(i).httpUrl, '/status')).json() as { requests: Counters };
    return s.requests;
  };
  const allCounters = (): Promise<Counters[]> => Promise.all([0, 1, 2].map(counters));
  const delta = (after: Counters[], before: Counters[], f: keyof Counters): number[] => after.map((c, i) => c[f] - (before[i]?.[f] ?? 0));

  /** 20 keys none of whose replicas is node 2, per the client's ring. */
  async function keysAvoidingNode2(client: RingkvClient): Promise<string[]> {
    const ring = await client.refreshRing();
    if (ring === undefined) throw new Error('the client got no ring');
    const outsider = cluster.node(2).id;
    const keys: string[] = [];
    for (let i = 0; keys.length < 20; i++) {
      const key = `routed-${i}`;
      const replicas = ring.partitions[partitionOfKey(encodeKey(key), ring.partitionCount)] ?? [];
      if (!replicas.includes(outsider)) keys.push(key);
    }
    return keys;
  }

  async function exercise(client: RingkvClient, keys: readonly string[]): Promise<void> {
    // four requests per key, so that with `any` every node gets writes as well as reads
    for (const key of keys) {
      const { context } = await client.put(key, 'v1');
      expect((await client.get(key)).found).toBe(true);
      await client.put(key, 'v2', { context });
      expect((await client.get(key)).found).toBe(true);
    }
  }

  it('partition-aware: every request lands on a replica, and no write is forwarded', async () => {
    const client = newClient('partition-aware');
    const keys = await keysAvoidingNode2(client);
    const before = await allCounters();
    await exercise(client, keys);
    const after = await allCounters();
    expect(delta(after, before, 'writes')[2]).toBe(0);
    expect(delta(after, before, 'gets')[2]).toBe(0);
    expect(delta(after, before, 'forwarded')).toEqual([0, 0, 0]);
    expect(delta(after, before, 'writes').reduce((s, x) => s + x, 0)).toBe(2 * keys.length);
  });

  it('any: the same requests also reach the non-replica, which forwards the writes (the baseline routing improves on)', async () => {
    const client = newClient('any');
    const keys = await keysAvoidingNode2(newClient('partition-aware'));
    const before = await allCounters();
    await exercise(client, keys);
    const after = await allCounters();
    expect(delta(after, before, 'writes')[2]).toBeGreaterThan(0);
    expect(delta(after, before, 'forwarded')[2]).toBe(delta(after, before, 'writes')[2]);
  });

  // Both clients route partition-aware, so every write of the key has the same coordinator, whose
  // returned body then shows every concurrent version (see the client README on update and routing).
  it('update: concurrent set-adds from two clients all end up in one value', async () => {
    const [c1, c2] = [newClient('partition-aware'), newClient('partition-aware')];
    const key = 'update-set';
    const add = (client: RingkvClient, item: string) =>
      client.update(
        key,
        (siblings) => {
          // merge: the union of every sibling's set, plus our item
          const set = new Set<string>(siblings.flatMap((s) => JSON.parse(Buffer.from(s.value).toString('utf8')) as string[]));
          set.add(item);
          return JSON.stringify([...set].sort());
        },
        // up to one writer wins per round of a hot key, so allow more attempts than writers
        { attempts: 16, backoffMs: 5, contentType: 'application/json' },
      );
    const items = Array.from({ length: 8 }, (_, i) => `i${i}`);
    const results = await Promise.all(items.map((item, i) => add(i % 2 === 0 ? c1 : c2, item)));
    expect(results.every((r) => r.written)).toBe(true);
    const final = await c1.get(key, { r: 2 });
    expect(final.found).toBe(true);
    if (!final.found) return;
    expect(final.siblings).toHaveLength(1);
    expect(JSON.parse(Buffer.from(final.siblings[0]?.value ?? []).toString('utf8'))).toEqual([...items].sort());
  });
});
