import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Prng } from '@ringkv/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpKvDriver } from './bench-http-driver.js';
import { KeyChooser, KeyCounter } from './bench-keys.js';
import { loadRecords } from './bench-load.js';
import { runWorkload } from './bench-run.js';
import { ValueSource } from './bench-values.js';
import { WORKLOADS } from './bench-workloads.js';

/** A stand-in node: keeps values and a per-key version as context; 503 for key u3; u5 never found. */
const stored = new Map<string, { value: Buffer; version: number }>();
const puts: { path: string; context: string | undefined; bytes: number }[] = [];
const gets: string[] = [];
let server: Server;
let driver: HttpKvDriver;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path === '/kv/u3') return void res.writeHead(503).end('{"error":"QUORUM_NOT_MET"}');
      // u8 refuses a write whose context is not the one its last read handed out (too many siblings).
      if (path === '/kv/u8' && req.method === 'PUT' && req.headers['x-context'] !== 'read-u8') return void res.writeHead(409).end('{"error":"SIBLINGS_TOO_MANY"}');
      if (path === '/kv/u8' && req.method === 'GET') {
        gets.push(path);
        return void res.writeHead(300, { 'x-context': 'read-u8' }).end('{"siblings":[]}');
      }
      const old = stored.get(path);
      if (req.method === 'PUT') {
        const value = Buffer.concat(chunks);
        puts.push({ path, context: req.headers['x-context'] as string | undefined, bytes: value.length });
        const version = (old?.version ?? 0) + 1;
        if (path !== '/kv/u5') stored.set(path, { value, version });
        return void res.writeHead(204, { 'x-context': `v${version}` }).end();
      }
      gets.push(path);
      if (old === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'x-context': `v${old.version}` }).end(old.value);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  driver = new HttpKvDriver({ urls: [url, url], clients: 4, keepContexts: true });
});

afterAll(async () => {
  await driver.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  stored.clear();
  puts.length = 0;
  gets.length = 0;
});

const values = new ValueSource(100, new Prng(1));
const never = (): boolean => false;
/** Stops a run after this many requests reached the stand-in, whatever the machine's speed (no timed assertions). */
const afterRequests = (n: number) => (): boolean => gets.length + puts.length >= n;
const long = 120_000;

describe('loadRecords', () => {
  it('writes every key once, retries failures, and reports keys it could not write', async () => {
    const progress: number[] = [];
    const result = await loadRecords({ driver, records: 50, clients: 8, values, seed: 1, aborted: never, onProgress: (w) => progress.push(w) });
    expect(result.written).toBe(49);
    expect(result.failedKeys).toBe(1);
    expect(result.errorKinds).toEqual({ 'HTTP 503': 3 });
    // u3 is refused (503) before the stand-in records a write.
    expect(new Set(puts.map((p) => p.path)).size).toBe(49);
    expect(puts.every((p) => p.bytes === 100)).toBe(true);
    expect(progress.at(-1)).toBe(49);
  });
});

describe('HttpKvDriver', () => {
  it('resolves a 409 (too many siblings) by reading the key and writing with the context read', async () => {
    expect(await driver.write(8, Buffer.alloc(10))).toBe('siblings');
    expect(gets).toEqual(['/kv/u8']);
    expect(puts.map((p) => p.context)).toEqual(['read-u8']);
    await expect(driver.write(3, Buffer.alloc(10))).rejects.toThrow('HTTP 503');
  });
});

describe('runWorkload', () => {
  it('A: reads and updates, sending back each key\'s last context; counts 503 and missing keys as errors', async () => {
    await loadRecords({ driver, records: 10, clients: 4, values, seed: 1, aborted: never });
    puts.length = 0;
    const counter = new KeyCounter(10);
    const stats = await runWorkload({ driver, workload: WORKLOADS.A, keys: new KeyChooser(WORKLOADS.A, 'uniform', counter), values, clients: 4, durationMs: long, seed: 2, aborted: afterRequests(400) });
    const read = stats.ops.find((s) => s.kind === 'READ')!;
    const update = stats.ops.find((s) => s.kind === 'UPDATE')!;
    expect(read.histogram.count).toBeGreaterThan(0);
    expect(update.histogram.count).toBeGreaterThan(0);
    expect(read.errorKinds['NOT_FOUND']).toBeGreaterThan(0); // u5 was never stored
    expect(read.errorKinds['HTTP 503']).toBeGreaterThan(0);
    expect(update.errorKinds['HTTP 503']).toBeGreaterThan(0);
    // Every update of a loaded key carries a context it was given.
    const ok = puts.filter((p) => !['/kv/u3', '/kv/u5', '/kv/u8'].includes(p.path));
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.every((p) => p.context !== undefined && /^v\d+$/.test(p.context))).toBe(true);
  });

  it('F: a read-modify-write reads the key, then writes it with the context just read', async () => {
    await loadRecords({ driver, records: 3, clients: 1, values, seed: 1, aborted: never });
    puts.length = 0;
    gets.length = 0;
    const counter = new KeyCounter(3);
    const stats = await runWorkload({ driver, workload: WORKLOADS.F, keys: new KeyChooser(WORKLOADS.F, 'zipfian', counter), values, clients: 1, durationMs: long, seed: 3, aborted: afterRequests(200) });
    const rmw = stats.ops.find((s) => s.kind === 'RMW')!;
    expect(rmw.histogram.count).toBeGreaterThan(0);
    expect(rmw.histogram.count + stats.ops.find((s) => s.kind === 'READ')!.histogram.count).toBe(gets.length);
    // One client: each PUT's context is the version the store held just before it.
    for (const p of puts) expect(p.context).toMatch(/^v\d+$/);
    expect(stored.get('/kv/u0')!.version).toBeGreaterThan(1);
  });

  it('D: inserts new keys and reads only acknowledged ones; stops when aborted', async () => {
    await loadRecords({ driver, records: 20, clients: 4, values, seed: 1, aborted: never });
    const counter = new KeyCounter(20);
    gets.length = 0;
    puts.length = 0;
    const stats = await runWorkload({ driver, workload: WORKLOADS.D, keys: new KeyChooser(WORKLOADS.D, 'zipfian', counter), values, clients: 4, durationMs: long, seed: 4, aborted: afterRequests(600) });
    expect(gets.length + puts.length).toBeLessThan(610);
    const inserts = stats.ops.find((s) => s.kind === 'INSERT')!.histogram.count;
    expect(inserts).toBeGreaterThan(0);
    expect(counter.readable).toBe(20 + inserts);
    expect(stored.has(`/kv/u${20 + inserts - 1}`)).toBe(true);
    // Reads of inserted keys never miss: only the never-stored u5 can.
    expect(Object.keys(stats.ops.find((s) => s.kind === 'READ')!.errorKinds).filter((k) => k !== 'NOT_FOUND' && k !== 'HTTP 503')).toEqual([]);
  });
});
