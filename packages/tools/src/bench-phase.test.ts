import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyspace, runPhase } from './bench-phase.js';

/** A stand-in node: stores the last value per path, answers 503 for one poisoned key. */
const stored = new Map<string, Buffer>();
const contextsSeen: (string | undefined)[] = [];
let server: Server;
let pool: Pool;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path === '/kv/bench-3') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"QUORUM_NOT_MET","message":"x"}');
      } else if (req.method === 'PUT') {
        contextsSeen.push(req.headers['x-context'] as string | undefined);
        stored.set(path, Buffer.concat(chunks));
        res.writeHead(204, { 'x-context': `ctx-${path}` }).end();
      } else {
        const v = stored.get(path);
        if (v === undefined) res.writeHead(404).end();
        else res.writeHead(200).end(v);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 4 });
});
afterAll(async () => {
  await pool.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('runPhase', () => {
  it('writes, rewrites with the returned context, reads what was written, and counts errors by kind', async () => {
    const keyspace = new Keyspace(8);
    const value = new Uint8Array(100).fill(1);
    const common = { pools: [pool], clients: 4, seconds: 1, value, keyspace, aborted: () => false };
    const put = await runPhase({ ...common, op: 'PUT' });
    expect(put.ops).toBeGreaterThan(16);
    expect(put.errors).toBeGreaterThan(0);
    expect(put.errorKinds).toEqual({ 'HTTP 503': put.errors });
    expect(put.p50Ms).toBeGreaterThan(0);
    expect(put.p99Ms).toBeGreaterThanOrEqual(put.p50Ms);
    // Every key after its first write is rewritten with the context that write returned.
    expect(contextsSeen.slice(0, 7).every((c) => c === undefined)).toBe(true);
    expect(contextsSeen.slice(7).every((c) => c?.startsWith('ctx-/kv/bench-') === true)).toBe(true);
    expect(stored.get('/kv/bench-0')?.length).toBe(100);

    const get = await runPhase({ ...common, op: 'GET' });
    expect(get.ops).toBeGreaterThan(0);
    expect(get.notFound).toBe(0);
    expect(Object.keys(get.errorKinds)).toEqual(['HTTP 503']);
  });

  it('stops early when aborted', async () => {
    const started = Date.now();
    const r = await runPhase({ op: 'GET', pools: [pool], clients: 2, seconds: 30, value: new Uint8Array(1), keyspace: new Keyspace(1), aborted: () => Date.now() - started > 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.elapsedMs).toBeLessThan(5000);
  });
});
