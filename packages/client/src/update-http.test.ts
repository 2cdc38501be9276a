/**
 * RingkvClient.update over HTTP against a stand-in node: which headers and
 * query it sends, and how it reads 300 and 412 answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingkvClient } from './ringkv-client.js';
import { DELETE, RingkvUpdateConflictError } from './update-loop.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly ifMatch: string | undefined;
  readonly context: string | undefined;
  readonly body: string;
}

/** Scripted answers, in order; each is [status, headers, body]. */
let script: [number, Record<string, string>, string][] = [];
const seen: Seen[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        ifMatch: req.headers['if-match'] as string | undefined,
        context: req.headers['x-context'] as string | undefined,
        body: Buffer.concat(chunks).toString(),
      });
      const [status, headers, body] = script.shift() ?? [500, {}, ''];
      res.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const value = (v: string, ctx: string, etag?: string): [number, Record<string, string>, string] => [
  200,
  { 'content-type': 'text/plain', 'x-context': ctx, ...(etag === undefined ? {} : { etag }) },
  v,
];
const siblings = (vs: string[], ctx: string): [number, Record<string, string>, string] => [
  300,
  { 'content-type': 'application/json', 'x-context': ctx },
  JSON.stringify({ siblings: vs.map((v) => ({ value: Buffer.from(v).toString('base64'), contentType: 'text/plain' })) }),
];
const json412: [number, Record<string, string>, string] = [
  412,
  { 'content-type': 'application/json', etag: '"e2"' },
  JSON.stringify({ error: 'PRECONDITION_FAILED', message: 'If-Match did not hold' }),
];

async function withClient<T>(fn: (kv: RingkvClient) => Promise<T>): Promise<T> {
  const kv = new RingkvClient({ nodes: [url], routing: 'any', timeoutMs: 2000 });
  seen.length = 0;
  try {
    return await fn(kv);
  } finally {
    await kv.close();
  }
}

const plus1 = (s: readonly { value: Uint8Array }[]): string => String(Math.max(0, ...s.map((x) => Number(Buffer.from(x.value).toString()))) + 1);

describe('update over HTTP', () => {
  it('writes with the read’s context and ?returnbody=true; no If-Match without an ETag', async () => {
    script = [value('1', 'c1'), value('2', 'c2')];
    const res = await withClient((kv) => kv.update('k', plus1, { w: 2 }));
    expect(seen.map((s) => [s.method, s.url, s.context, s.ifMatch, s.body])).toEqual([
      ['GET', '/kv/k', undefined, undefined, ''],
      ['PUT', '/kv/k?w=2&returnbody=true', 'c1', undefined, '2'],
    ]);
    expect(res).toEqual({ written: true, deleted: false, context: 'c2', attempts: 1 });
  });

  it('merges the siblings a write returns and writes again with their context', async () => {
    script = [value('1', 'c1'), siblings(['2', '5'], 'c3'), value('6', 'c4')];
    const res = await withClient((kv) => kv.update('k', plus1, { backoffMs: 1 }));
    expect(seen.map((s) => [s.method, s.context, s.body])).toEqual([
      ['GET', undefined, ''],
      ['PUT', 'c1', '2'],
      ['PUT', 'c3', '6'],
    ]);
    expect(res.attempts).toBe(2);
  });

  it('sends the ETag as If-Match, and on 412 reads again and retries', async () => {
    script = [value('1', 'c1', '"e1"'), json412, value('7', 'c2', '"e2"'), value('8', 'c3', '"e3"')];
    const res = await withClient((kv) => kv.update('k', plus1, { backoffMs: 1 }));
    expect(seen.map((s) => [s.method, s.context, s.ifMatch, s.body])).toEqual([
      ['GET', undefined, undefined, ''],
      ['PUT', 'c1', '"e1"', '2'],
      ['GET', undefined, undefined, ''],
      ['PUT', 'c2', '"e2"', '8'],
    ]);
    expect(res.attempts).toBe(2);
  });

  it('throws RingkvUpdateConflictError when every attempt conflicts', async () => {
    script = [value('1', 'c1', '"e1"'), json412, value('1', 'c1', '"e1"'), json412];
    const err = await withClient((kv) => kv.update('k', plus1, { attempts: 2, backoffMs: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RingkvUpdateConflictError);
    expect((err as RingkvUpdateConflictError).attempts).toBe(2);
  });

  it('follows a delete with a read, and reports a value that reappeared as a conflict', async () => {
    script = [value('1', 'c1'), [204, { 'x-context': 'c2' }, ''], value('9', 'c3'), [204, { 'x-context': 'c4' }, ''], [404, { 'x-context': 'c5' }, '']];
    const del = await withClient((kv) => kv.update('k', () => DELETE, { backoffMs: 1 }));
    expect(seen.map((s) => [s.method, s.context])).toEqual([
      ['GET', undefined],
      ['DELETE', 'c1'],
      ['GET', undefined],
      ['DELETE', 'c3'],
      ['GET', undefined],
    ]);
    expect(del).toMatchObject({ written: true, deleted: true, context: 'c5', attempts: 2 });
  });
});
