/**
 * GET /ring against a real 3-node cluster (N=3 R=2 W=2, 16 partitions): the
 * shape clients and the web console rely on, agreement between nodes, and a
 * killed node showing up as no longer "up".
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeKey, partitionOfKey } from '@ringkv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

interface RingJson {
  epoch: number;
  partitionCount: number;
  n: number;
  r: number;
  w: number;
  hash: string;
  nodes: Record<string, { http: string; state: string }>;
  partitions: string[][];
  transferring: number[];
}

const partitionCount = 16;

describe.skipIf(!serverBuilt)('GET /ring of a 3-node cluster', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;

  beforeAll(async () => {
    temp = await startTempCluster('ring-route', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--partitions', String(partitionCount), '--gossip-interval-ms', '200'],
    });
    cluster = temp.cluster;
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  const ringOf = async (i: number): Promise<RingJson> => {
    const res = await http(cluster.node(i).httpUrl, '/ring');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(/^application\/json/);
    return res.json() as RingJson;
  };

  it('describes parameters, members and every partition’s N replicas', async () => {
    const ring = await waitFor(
      async () => {
        const r = await ringOf(0);
        return Object.keys(r.nodes).length === 3 && Object.values(r.nodes).every((m) => m.state === 'up') ? r : undefined;
      },
      { what: 'node 0 to see 3 members up' },
    );
    expect(Object.keys(ring).sort()).toEqual(['epoch', 'hash', 'n', 'nodes', 'partitionCount', 'partitions', 'r', 'transferring', 'w']);
    expect(ring).toMatchObject({ partitionCount, n: 3, r: 2, w: 2, hash: 'md5', transferring: [] });
    expect(ring.epoch).toBeGreaterThanOrEqual(0);
    const ids = [0, 1, 2].map((i) => cluster.node(i).id).sort();
    expect(Object.keys(ring.nodes).sort()).toEqual(ids);
    for (let i = 0; i < 3; i++) {
      const info = cluster.node(i);
      expect(`http://${ring.nodes[info.id]?.http ?? ''}`).toBe(info.httpUrl);
    }
    expect(ring.partitions).toHaveLength(partitionCount);
    for (const list of ring.partitions) {
      expect([...list].sort()).toEqual(ids); // N=3 of 3 nodes: every node, each once
    }
  });

  it('is the same on every node once the members have met', async () => {
    const rings = await Promise.all([0, 1, 2].map(ringOf));
    expect(rings[1]?.partitions).toEqual(rings[0]?.partitions);
    expect(rings[2]?.partitions).toEqual(rings[0]?.partitions);
    expect(rings[1]?.epoch).toBe(rings[0]?.epoch);
  });

  it('names replicas that hold a key written through any node', async () => {
    const ring = await ringOf(1);
    const key = 'ring-route-key';
    const put = await http(cluster.node(2).httpUrl, kvPath(key, 'w=3'), { method: 'PUT', body: 'v' });
    expect(put.status).toBe(204);
    const p = partitionOfKey(encodeKey(key), ring.partitionCount);
    const first = ring.partitions[p]?.[0] ?? '';
    const url = cluster.node(first).httpUrl;
    expect((await http(url, kvPath(key, 'r=1'))).text()).toBe('v');
  });

  it('reports a killed node as no longer up', async () => {
    const victim = cluster.node(2).id;
    await cluster.kill(2);
    const ring = await waitFor(
      async () => {
        const r = await ringOf(0);
        return r.nodes[victim]?.state !== 'up' ? r : undefined;
      },
      { what: `node 0 to stop reporting ${victim} as up`, timeoutMs: 20_000 },
    );
    expect(['suspect', 'dead']).toContain(ring.nodes[victim]?.state);
    expect(ring.nodes[cluster.node(1).id]?.state).toBe('up');
    // The preference lists are the ring's, not the failure detector's: the dead node stays in them.
    expect(ring.partitions.every((l) => l.includes(victim))).toBe(true);
  });
});
