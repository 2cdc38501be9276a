import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterPlan, readClusterStatus, readStagedChange } from './cluster-admin.js';
import { RingkvHttpError } from './http-error.js';
import { RingkvClient } from './ringkv-client.js';

const status = {
  epoch: 2,
  members: [{ id: 'n1', weight: 1 }],
  staged: { join: [], leave: [], remove: [] },
  transfers: { total: 3, done: 1, pending: 2 },
  pendingSample: [{ partition: 4, to: 'n2', from: null }],
  sending: [{ id: '4>n2', partition: 4, to: 'n2', keysSent: 10, bytesSent: 900, startedAt: 5, keysPerSecond: 100 }],
  handoffTotals: { transfersDone: 1, keysSent: 10, bytesSent: 900, partitionsDropped: 0, keysDropped: 0 },
};

describe('admin body readers', () => {
  it('read what a node sends', () => {
    expect(readClusterStatus(status)).toEqual(status);
    expect(readStagedChange({ join: [{ id: 'n4', weight: 2 }], leave: ['n1'], remove: [] })).toEqual({ join: [{ id: 'n4', weight: 2 }], leave: ['n1'], remove: [] });
    const plan = { epoch: 0, nextEpoch: 1, staged: { join: [], leave: [], remove: [] }, ownersMoved: 0, transfers: 0, nodes: {}, estimatedSeconds: 0, note: '' };
    expect(readClusterPlan(plan)).toEqual(plan);
  });

  it('name the field that is wrong', () => {
    expect(() => readClusterStatus({ ...status, transfers: { total: 3, done: 'x', pending: 2 } })).toThrow('status.transfers.done is not a number');
    expect(() => readClusterPlan({ epoch: 1 })).toThrow('plan.nodes is not an object');
    expect(() => readStagedChange({ leave: [3] })).toThrow('staged.leave[0] is not a node id');
  });
});

describe('RingkvClient admin calls', () => {
  const servers: Server[] = [];
  const seen: { server: number; method: string; url: string }[] = [];
  const urls: string[] = [];
  let reply: (res: ServerResponse, url: string) => void = (res) => res.writeHead(500).end();

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const s = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          seen.push({ server: i, method: req.method ?? '', url: req.url ?? '' });
          reply(res, req.url ?? '');
        });
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      servers.push(s);
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('go to the first node every time (staging lives on one node), or to the one named', async () => {
    reply = (res, url) => {
      const body = url.startsWith('/admin/cluster/status') ? status : { staged: { join: [{ id: 'n4', weight: 1 }], leave: [], remove: [] } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const client = new RingkvClient({ nodes: urls });
    try {
      seen.length = 0;
      expect(await client.clusterStage('join', 'n4')).toEqual({ join: [{ id: 'n4', weight: 1 }], leave: [], remove: [] });
      await client.clusterStage('leave', 'a b');
      expect((await client.clusterStatus()).transfers.pending).toBe(2);
      await client.clusterClear({ node: urls[1] ?? '' });
      expect(seen).toEqual([
        { server: 0, method: 'POST', url: '/admin/cluster/join?node=n4' },
        { server: 0, method: 'POST', url: '/admin/cluster/leave?node=a%20b' },
        { server: 0, method: 'GET', url: '/admin/cluster/status' },
        { server: 1, method: 'POST', url: '/admin/cluster/clear' },
      ]);
    } finally {
      await client.close();
    }
  });

  it('turn a body that is not a ringkv answer into UNEXPECTED_RESPONSE, and pass refusals through', async () => {
    const client = new RingkvClient({ nodes: urls });
    try {
      reply = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...status, epoch: 'two' }));
      await expect(client.clusterStatus()).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE', message: expect.stringContaining('status.epoch is not a number') });
      reply = (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"BAD_REQUEST","message":"n9 is not a member of the ring"}');
      const err = await client.clusterCommit().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RingkvHttpError);
      expect(err).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    } finally {
      await client.close();
    }
  });

  it('send pr with a read', async () => {
    reply = (res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-context': 'C' }).end('v');
    const client = new RingkvClient({ nodes: urls });
    try {
      seen.length = 0;
      await client.get('k', { r: 3, pr: 3, node: urls[0] ?? '' });
      expect(seen[0]?.url).toBe('/kv/k?r=3&pr=3');
    } finally {
      await client.close();
    }
  });
});
