import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RingkvConnectionError } from './connection-error.js';
import { RingkvHttpError } from './http-error.js';
import { RingkvClient } from './ringkv-client.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

type Handler = (req: Seen, res: ServerResponse) => void;

/** A stand-in node: records what it was sent and answers with the current handler. */
class FakeNode {
  readonly seen: Seen[] = [];
  handler: Handler = (_req, res) => res.writeHead(500).end();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.seen.push(seen);
        this.handler(seen, res);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A URL on which nothing listens: bind a free port, then let it go. */
async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const a = new FakeNode();
const b = new FakeNode();
const clients: RingkvClient[] = [];
/** Routing `any`: these tests are about the HTTP contract and turn-taking; ring-routing.test.ts covers routing by key. */
function client(nodes: string[]): RingkvClient {
  const c = new RingkvClient({ nodes, timeoutMs: 2000, routing: 'any' });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  await a.start();
  await b.start();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  a.seen.length = 0;
  b.seen.length = 0;
});
afterAll(async () => {
  await a.stop();
  await b.stop();
});

describe('get', () => {
  it('returns the one value with its content type and context, URL-encoding the key', async () => {
    a.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-context': 'ctx1' }).end('hello');
    const got = await client([a.url]).get('a b/ü?', { r: 3 });
    expect(a.seen[0]?.url).toBe('/kv/a%20b%2F%C3%BC%3F?r=3');
    expect(got).toEqual({ found: true, context: 'ctx1', siblings: [{ value: Buffer.from('hello'), contentType: 'text/plain' }] });
  });

  it('decodes the siblings of a 300', async () => {
    a.handler = (_req, res) =>
      json(res, 300, { siblings: [{ value: Buffer.from('x').toString('base64'), contentType: 'text/plain' }, { value: Buffer.from([0, 255]).toString('base64'), contentType: 'application/octet-stream' }] }, { 'x-context': 'both' });
    const got = await client([a.url]).get('k');
    expect(got.found).toBe(true);
    if (!got.found) return;
    expect(got.context).toBe('both');
    expect(got.siblings.map((s) => [Buffer.from(s.value).toString('hex'), s.contentType])).toEqual([
      ['78', 'text/plain'],
      ['00ff', 'application/octet-stream'],
    ]);
  });

  it('reports a missing key as not found, keeping a tombstone context', async () => {
    a.handler = (_req, res) => json(res, 404, { error: 'NOT_FOUND', message: 'no value' }, { 'x-context': 'tomb' });
    expect(await client([a.url]).get('gone')).toEqual({ found: false, context: 'tomb' });
  });

  it('does not mistake an unknown route for a missing key', async () => {
    a.handler = (_req, res) => json(res, 404, { error: 'ROUTE_NOT_FOUND', message: 'no such endpoint' });
    await expect(client([a.url]).get('k')).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
  });

  it('rejects a malformed 300 body instead of returning part of it', async () => {
    a.handler = (_req, res) => json(res, 300, { siblings: [{ value: 5 }] }, { 'x-context': 'c' });
    await expect(client([a.url]).get('k')).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 300 });
  });
});

describe('put and delete', () => {
  it('sends the value, content type, context and w; returns the new context', async () => {
    a.handler = (_req, res) => res.writeHead(204, { 'x-context': 'next' }).end();
    const put = await client([a.url]).put('k', 'v1', { context: 'prev', w: 3 });
    expect(put).toEqual({ context: 'next' });
    const seen = a.seen[0];
    expect(seen?.method).toBe('PUT');
    expect(seen?.url).toBe('/kv/k?w=3');
    expect(seen?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(seen?.headers['x-context']).toBe('prev');
    expect(seen?.body.toString()).toBe('v1');
  });

  it('passes dw on put and delete', async () => {
    a.handler = (_req, res) => res.writeHead(204, { 'x-context': 'next' }).end();
    await client([a.url]).put('k', 'v', { w: 2, dw: 2 });
    await client([a.url]).delete('k', { context: 'c', dw: 3 });
    expect(a.seen.map((r) => r.url)).toEqual(['/kv/k?w=2&dw=2', '/kv/k?dw=3']);
  });

  it('passes dw on counter increments', async () => {
    a.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":4}');
    expect(await client([a.url]).incr('c', 2, { dw: 2 })).toBe(4);
    expect(a.seen.map((r) => r.url)).toEqual(['/counter/c?dw=2']);
  });

  it('sends bytes as octet-stream unless told otherwise, and reads the body back with returnBody', async () => {
    a.handler = (req, res) => res.writeHead(200, { 'x-context': 'c2', 'content-type': req.headers['content-type'] ?? '' }).end(req.body);
    const put = await client([a.url]).put('k', new Uint8Array([1, 2]), { returnBody: true });
    expect(a.seen[0]?.url).toBe('/kv/k?returnbody=true');
    expect(put.context).toBe('c2');
    expect(put.siblings?.map((s) => [Buffer.from(s.value).toString('hex'), s.contentType])).toEqual([['0102', 'application/octet-stream']]);
  });

  it('deletes with a context', async () => {
    a.handler = (_req, res) => res.writeHead(204).end();
    await client([a.url]).delete('k', { context: 'c', w: 1 });
    expect(a.seen[0]).toMatchObject({ method: 'DELETE', url: '/kv/k?w=1', headers: { 'x-context': 'c' } });
  });
});

describe('errors', () => {
  it('turns the JSON error body into a RingkvHttpError with code, status and details', async () => {
    a.handler = (_req, res) => json(res, 503, { error: 'QUORUM_NOT_MET', message: 'only 1 of 2 replicas answered', needed: 2, got: 1 });
    const err: unknown = await client([a.url]).put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RingkvHttpError);
    expect(err).toMatchObject({ code: 'QUORUM_NOT_MET', status: 503, message: 'only 1 of 2 replicas answered', details: { needed: 2, got: 1 }, node: a.url });
  });

  it('keeps the status and an excerpt of a body that is not ringkv JSON', async () => {
    a.handler = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    await expect(client([a.url]).get('k')).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 502, message: 'unexpected HTTP 502 response: <h1>Bad gateway</h1>' });
  });

  it('reports a 2xx write without X-Context as unexpected', async () => {
    a.handler = (_req, res) => res.writeHead(204).end();
    await expect(client([a.url]).put('k', 'v')).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
  });
});

describe('nodes', () => {
  it('sends requests to the nodes in turn', async () => {
    a.handler = b.handler = (_req, res) => res.writeHead(204, { 'x-context': 'c' }).end();
    const c = client([a.url, b.url]);
    for (let i = 0; i < 4; i++) await c.put(`k${i}`, 'v');
    expect([a.seen.length, b.seen.length]).toEqual([2, 2]);
  });

  it('retries a read and a write on the next node when the connection is refused', async () => {
    b.handler = (req, res) => res.writeHead(req.method === 'GET' ? 404 : 204, { 'x-context': 'c' }).end();
    const c = client([await refusedUrl(), b.url]);
    expect(await c.get('k')).toEqual({ found: false, context: 'c' });
    // The turn has moved on to b; make the next request start at the dead node again.
    await c.get('k');
    expect(await c.put('k', 'v')).toEqual({ context: 'c' });
    expect(b.seen.map((s) => s.method)).toEqual(['GET', 'GET', 'PUT']);
  });

  it('retries a read, but not a write, when the connection drops after sending', async () => {
    a.handler = (_req, res) => res.socket?.destroy();
    b.handler = (req, res) => res.writeHead(req.method === 'GET' ? 200 : 204, { 'x-context': 'c' }).end('v');
    const c = client([a.url, b.url]);
    expect((await c.get('k')).found).toBe(true);
    await c.get('k'); // back to a for the write
    const err: unknown = await c.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RingkvConnectionError);
    expect(err).toMatchObject({ node: a.url });
    expect(b.seen.filter((s) => s.method === 'PUT')).toHaveLength(0);
  });

  it('names the node it could not reach', async () => {
    const dead = await refusedUrl();
    await expect(client([dead]).get('k')).rejects.toMatchObject({ name: 'RingkvConnectionError', code: 'ECONNREFUSED', node: dead });
  });

  it('accepts host:port and strips paths from node URLs', () => {
    expect(client(['127.0.0.1:7001', 'http://h:1/x/']).nodes).toEqual(['http://127.0.0.1:7001', 'http://h:1']);
  });
});

describe('status and health', () => {
  it('reads /status leniently', async () => {
    a.handler = (_req, res) =>
      json(res, 200, { id: 'n1', httpAddress: 'http://127.0.0.1:7001', rpcAddress: '127.0.0.1:7101', cluster: { n: 3, r: 2, w: 2, partitionCount: 256 }, members: [{ id: 'n1' }, { id: 'n2', state: 'alive' }], partitionsOwned: [1, 2, 3], keysStored: 7 });
    const s = await client([a.url]).status();
    expect(s).toMatchObject({ id: 'n1', n: 3, r: 2, w: 2, partitionCount: 256, partitionsOwned: 3, keysStored: 7, members: [{ id: 'n1' }, { id: 'n2', state: 'alive' }] });
  });

  it('is healthy only on 200, and never throws', async () => {
    a.handler = (_req, res) => res.writeHead(200).end('ok');
    b.handler = (_req, res) => res.writeHead(503).end();
    const c = client([a.url]);
    expect(await c.health()).toBe(true);
    expect(await c.health(b.url)).toBe(false);
    expect(await c.health(await refusedUrl())).toBe(false);
  });
});
