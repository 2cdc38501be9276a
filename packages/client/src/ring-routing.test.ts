/**
 * Partition-aware routing of RingkvClient against stand-in nodes that serve a
 * GET /ring: which node each request reaches, and the fallbacks.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKey, partitionOfKey } from '@ringkv/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RingkvClient } from './ringkv-client.js';

/** A stand-in node: counts the requests it got by "METHOD path-without-query"; the ring handler is swappable. */
class FakeNode {
  readonly seen: string[] = [];
  ring: (res: ServerResponse) => void = (res) => res.writeHead(404).end();
  private server: Server | undefined;
  url = '';
  address = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        this.seen.push(`${req.method ?? ''} ${path}`);
        if (path === '/ring') return this.ring(res);
        if (req.method === 'GET') return res.writeHead(200, { 'content-type': 'text/plain', 'x-context': 'c' }).end('v');
        return res.writeHead(204, { 'x-context': 'c' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.url = `http://${this.address}`;
  }

  kvCount(): number {
    return this.seen.filter((s) => s.includes(' /kv/')).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const nodes = [new FakeNode(), new FakeNode(), new FakeNode()];
const [a, b, c] = nodes as [FakeNode, FakeNode, FakeNode];
const partitionCount = 4;

/** N=2 over a, b, c: partition p is on [p%3, (p+1)%3]; `http` of a node may be overridden (a dead address). */
function serveRing(overrides: Record<string, string> = {}, states: Record<string, string> = {}): void {
  const ids = ['a', 'b', 'c'];
  const body = {
    epoch: 1,
    partitionCount,
    n: 2,
    r: 1,
    w: 1,
    hash: 'md5',
    nodes: Object.fromEntries(ids.map((id, i) => [id, { http: overrides[id] ?? nodes[i]?.address, state: states[id] ?? 'up' }])),
    partitions: Array.from({ length: partitionCount }, (_, p) => [ids[p % 3], ids[(p + 1) % 3]]),
    transferring: [],
  };
  for (const n of nodes) n.ring = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Keys whose partition is p. */
function keysIn(p: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (partitionOfKey(encodeKey(`k${i}`), partitionCount) === p) out.push(`k${i}`);
  return out;
}

const clients: RingkvClient[] = [];
function client(seeds: string[] = [a.url]): RingkvClient {
  const cl = new RingkvClient({ nodes: seeds, timeoutMs: 2000 });
  clients.push(cl);
  return cl;
}

beforeAll(async () => {
  await Promise.all(nodes.map((n) => n.start()));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((cl) => cl.close()));
  for (const n of nodes) n.seen.length = 0;
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('partition-aware routing', () => {
  it('sends writes to the key’s first primary and reads to its replicas, never elsewhere', async () => {
    serveRing();
    const kv = client(); // seeded with a only
    for (const key of keysIn(1, 5)) {
      await kv.put(key, 'v'); // partition 1 is on [b, c]
      await kv.delete(key, { context: 'c' });
      await kv.get(key);
      await kv.get(key);
    }
    expect(a.seen).toEqual(['GET /ring']);
    expect(b.seen.filter((s) => !s.startsWith('GET')).length).toBe(10);
    expect(c.seen.filter((s) => !s.startsWith('GET')).length).toBe(0);
    expect(b.kvCount() - 10).toBe(5); // reads alternate between b and c
    expect(c.kvCount()).toBe(5);
    expect(kv.ringMap()?.epoch).toBe(1);
  });

  it('routes to any node when no node serves /ring', async () => {
    for (const n of nodes) n.ring = (res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NOT_FOUND"}');
    const kv = client([a.url, b.url]);
    for (const key of keysIn(1, 4)) await kv.put(key, 'v');
    expect(a.kvCount() + b.kvCount()).toBe(4);
    expect(a.kvCount()).toBeGreaterThan(0); // a is no replica of partition 1, yet was used
    expect(kv.ringMap()).toBeUndefined();
    // one /ring attempt (plus its retry on the other seed), not one per request
    expect([...a.seen, ...b.seen].filter((s) => s === 'GET /ring').length).toBeLessThanOrEqual(2);
  });

  it('skips replicas the ring says are down, and retries on the next replica when one refuses connections', async () => {
    serveRing({}, { b: 'dead' });
    const kv = client();
    const [k1, k2] = keysIn(1, 2) as [string, string];
    await kv.put(k1, 'v');
    expect(b.kvCount()).toBe(0);
    expect(c.kvCount()).toBe(1);

    serveRing({ b: '127.0.0.1:1' }); // b is "up" at an address nobody listens on
    await kv.refreshRing();
    await kv.put(k2, 'v'); // refused by b → retried on c
    expect(c.kvCount()).toBe(2);
    await kv.put(k2, 'v', { context: 'c' }); // b is now avoided: straight to c
    expect(c.kvCount()).toBe(3);
  });

  it('does not route when routing is "any" or a node is named', async () => {
    serveRing();
    const any = new RingkvClient({ nodes: [a.url], routing: 'any' });
    clients.push(any);
    const [key] = keysIn(1, 1) as [string];
    await any.put(key, 'v');
    await client().put(key, 'v', { node: a.url });
    expect(a.seen).toEqual(['PUT /kv/' + key, 'PUT /kv/' + key]);
  });
});
