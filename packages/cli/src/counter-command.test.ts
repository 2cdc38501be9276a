import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { runCli } from './program.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

let answer: (res: ServerResponse) => void = (res) => res.writeHead(500).end();
const seen: Seen[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // the client may ask for the ring first; only counter calls matter here
      if (!(req.url ?? '').startsWith('/counter/')) return res.writeHead(404).end();
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (c: string | Uint8Array) => (out += typeof c === 'string' ? c : Buffer.from(c).toString()) },
    stderr: { write: (c: string) => (err += c) },
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    env: { RINGKV_NODE: url },
  };
  seen.length = 0;
  const code = await runCli(args, io);
  return { code, out, err };
}

const json = (status: number, body: unknown) => (res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('ringkv incr', () => {
  it('posts the delta with ttl and w and prints the count', async () => {
    answer = json(200, { value: 7, windowEnd: 123 });
    expect(await run(['incr', 'a/b', '5', '--ttl', '60', '--w', '2'])).toEqual({ code: 0, out: '7\n', err: '' });
    expect(seen).toEqual([{ method: 'POST', url: '/counter/a%2Fb?ttl=60&w=2', body: '{"delta":5}' }]);
  });

  it('adds 1 by default, takes negative deltas after --, prints JSON', async () => {
    answer = json(200, { value: 1 });
    expect((await run(['incr', 'k'])).out).toBe('1\n');
    expect(seen[0]?.body).toBe('{"delta":1}');
    expect((await run(['incr', 'k', '--json', '--', '-3'])).out).toBe('{"key":"k","value":1}\n');
    expect(seen[0]?.body).toBe('{"delta":-3}');
  });

  it('refuses a delta that is not an integer without sending anything', async () => {
    const r = await run(['incr', 'k', '1.5']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('DELTA must be an integer');
    expect(seen).toEqual([]);
    expect((await run(['incr', 'k', '--ttl', '0'])).code).toBe(2);
  });

  it("exits 1 with the server's error", async () => {
    answer = json(400, { error: 'BAD_REQUEST', message: 'delta must be an integer' });
    const r = await run(['incr', 'k', '99999999999999']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('BAD_REQUEST');
  });
});

describe('ringkv counter', () => {
  it('reads with r and prints the count', async () => {
    answer = json(200, { value: -4 });
    expect(await run(['counter', 'k', '--r', '3'])).toEqual({ code: 0, out: '-4\n', err: '' });
    expect(seen).toEqual([{ method: 'GET', url: '/counter/k?r=3', body: '' }]);
  });

  it('fails on an answer that is not {"value": n}', async () => {
    answer = json(200, { count: 1 });
    const r = await run(['counter', 'k']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not {"value": n}');
  });
});
