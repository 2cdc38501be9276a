import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { runCli } from './program.js';

interface Request {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
type Handler = (req: Request, res: ServerResponse) => void;

let handler: Handler = (_req, res) => res.writeHead(500).end();
const seen: Request[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(args: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (c: string | Uint8Array) => (out += typeof c === 'string' ? c : Buffer.from(c).toString()) },
    stderr: { write: (c: string) => (err += c) },
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    env: { RINGKV_NODE: url, ...env },
  };
  seen.length = 0;
  const code = await runCli(args, io);
  return { code, out, err };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

describe('ringkv get', () => {
  it('prints the value on stdout and the context on stderr', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-context': 'C1' }).end('hello');
    expect(await run(['get', 'a/b', '--r', '3'])).toEqual({ code: 0, out: 'hello', err: 'context: C1\n' });
    expect(seen[0]?.url).toBe('/kv/a%2Fb?r=3');
  });

  it('prints each sibling and how to resolve them', async () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    handler = (_req, res) => json(res, 300, { siblings: [{ value: b64('one'), contentType: 'text/plain' }, { value: b64('two\n'), contentType: 'text/plain' }] }, { 'x-context': 'C2' });
    const r = await run(['get', 'k']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('--- sibling 1 of 2 (text/plain) ---\none\n--- sibling 2 of 2 (text/plain) ---\ntwo\n');
    expect(r.err).toContain('2 siblings: resolve with  ringkv put "k" VALUE --context C2');
    const j = await run(['get', 'k', '--json']);
    expect(JSON.parse(j.out)).toEqual({ key: 'k', found: true, context: 'C2', siblings: [{ contentType: 'text/plain', value: b64('one'), text: 'one' }, { contentType: 'text/plain', value: b64('two\n'), text: 'two\n' }] });
  });

  it('exits 3 when the key is not found', async () => {
    handler = (_req, res) => json(res, 404, { error: 'NOT_FOUND', message: 'no value' });
    expect(await run(['get', 'k'])).toEqual({ code: 3, out: '', err: 'not found: k\n' });
    expect((await run(['get', 'k', '--json'])).out).toBe('{"key":"k","found":false}\n');
  });

  it("exits 1 with the server's code and message", async () => {
    handler = (_req, res) => json(res, 503, { error: 'QUORUM_NOT_MET', message: 'only 1 of 2 replicas answered', needed: 2, got: 1 });
    const r = await run(['get', 'k']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`ringkv: QUORUM_NOT_MET (HTTP 503 from ${url}): only 1 of 2 replicas answered [needed=2 got=1]\n`);
  });

  it('exits 1 naming the node it cannot reach', async () => {
    const r = await run(['get', 'k', '--node', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ringkv: cannot reach http:\/\/127\.0\.0\.1:1: /);
  });
});

describe('ringkv put', () => {
  it('writes the argument as text with the context and w, and prints the new context', async () => {
    handler = (_req, res) => res.writeHead(204, { 'x-context': 'NEW' }).end();
    expect(await run(['put', 'k', 'v 1', '--context', 'OLD', '--w', '1'])).toEqual({ code: 0, out: 'NEW\n', err: '' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/kv/k?w=1', body: 'v 1', headers: { 'x-context': 'OLD', 'content-type': 'text/plain; charset=utf-8' } });
  });

  it('passes --dw on put and del', async () => {
    handler = (_req, res) => res.writeHead(204, { 'x-context': 'NEW' }).end();
    expect((await run(['put', 'k', 'v', '--dw', '2'])).code).toBe(0);
    expect(seen.map((r) => r.url)).toEqual(['/kv/k?dw=2']);
    expect((await run(['del', 'k', '--context', 'C', '--dw', '3'])).code).toBe(0);
    expect(seen.map((r) => r.url)).toEqual(['/kv/k?dw=3']);
    expect((await run(['put', 'k', 'v', '--dw', 'x'])).code).not.toBe(0);
  });

  it('passes --dw on incr', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":5}');
    expect(await run(['incr', 'c', '2', '--dw', '2'])).toEqual({ code: 0, out: '5\n', err: '' });
    expect(seen.map((r) => r.url)).toEqual(['/counter/c?dw=2']);
    expect((await run(['incr', 'c', '--dw', '-1'])).code).not.toBe(0);
  });

  it('reads - from stdin as bytes', async () => {
    handler = (_req, res) => res.writeHead(204, { 'x-context': 'NEW' }).end();
    const r = await run(['put', 'k', '-', '--content-type', 'application/json', '--json'], '{"a":1}');
    expect(r.out).toBe('{"key":"k","context":"NEW"}\n');
    expect(seen[0]).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  });
});

describe('ringkv del', () => {
  it('reads first and deletes what it read', async () => {
    handler = (req, res) => {
      if (req.method === 'GET') res.writeHead(200, { 'x-context': 'SEEN' }).end('v');
      else res.writeHead(204, { 'x-context': 'T' }).end();
    };
    expect(await run(['del', 'k'])).toEqual({ code: 0, out: '', err: 'deleted k\n' });
    expect(seen.map((s) => [s.method, s.headers['x-context']])).toEqual([['GET', undefined], ['DELETE', 'SEEN']]);
  });

  it('deletes straight away with --context', async () => {
    handler = (_req, res) => res.writeHead(204, { 'x-context': 'T' }).end();
    expect((await run(['del', 'k', '--context', 'C', '--json'])).out).toBe('{"key":"k","deleted":true}\n');
    expect(seen.map((s) => s.method)).toEqual(['DELETE']);
  });
});

describe('ringkv status', () => {
  it('prints a summary, or the JSON as sent', async () => {
    const body = { id: 'n1', http: '127.0.0.1:7001', cluster: { n: 3, r: 2, w: 2, partitions: 256 }, members: [{ id: 'n1' }], keysStored: 4 };
    handler = (_req, res) => json(res, 200, body);
    const r = await run(['status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('N=3 R=2 W=2  partitions 256');
    expect(JSON.parse((await run(['status', '--json'])).out)).toEqual(body);
  });
});

describe('usage', () => {
  it.each([
    [['get']],
    [['get', 'k', '--r', '0']],
    [['put', 'k']],
    [['frobnicate']],
    [['get', 'k', '--node', 'ftp://x']],
    [['node', '--id', 'n1']],
    [[]],
  ])('exits 2 for %j without sending anything', async (args) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).not.toBe('');
    expect(seen).toHaveLength(0);
  });

  it('shows help with examples for every command, exiting 0', async () => {
    for (const command of ['node', 'get', 'put', 'del', 'status']) {
      const r = await run([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Examples:');
    }
    expect((await run(['--help'])).out).toContain('Exit codes: 0 ok');
  });
});
