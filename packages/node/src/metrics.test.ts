import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts } from './free-ports.js';
import { NODE_DEFAULTS } from './node-options.js';
import { startNode, type RunningNode } from './start-node.js';

describe('GET /metrics and hot keys (one real node)', () => {
  let dir: string;
  let running: RunningNode;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringkv-metrics-'));
    // below the ephemeral range: a port listen(0) handed out can be taken by any outgoing connection before the node binds it
    const [httpPort = 0, rpcPort = 0] = await findFreePorts(2);
    running = await startNode({
      ...NODE_DEFAULTS,
      id: 'm1',
      httpPort,
      rpcPort,
      dataDir: join(dir, 'm1'),
      cluster: { n: 1, r: 1, w: 1, partitionCount: 8 },
      logLevel: 'silent',
      gossipIntervalMs: 100,
    });
    base = `http://${running.httpAddress}`;
  });

  afterAll(async () => {
    await running?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('counts requests by op and status, times them, and ranks hot keys', async () => {
    const put = async (key: string, value: string): Promise<number> =>
      (await fetch(`${base}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value })).status;
    const get = async (key: string): Promise<number> => {
      const res = await fetch(`${base}/kv/${encodeURIComponent(key)}`);
      await res.arrayBuffer();
      return res.status;
    };

    expect(await put('hot key', 'v1')).toBe(204);
    expect(await put('cold', 'v2')).toBe(204);
    for (let i = 0; i < 5; i++) expect(await get('hot key')).toBe(200);
    expect(await get('cold')).toBe(200);
    expect(await get('missing')).toBe(404);
    expect((await fetch(`${base}/kv/hot%20key`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/health`)).status).toBe(200);

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };

    expect(value('ringkv_http_requests_total{op="put",status="204"}')).toBe(2);
    expect(value('ringkv_http_requests_total{op="get",status="200"}')).toBe(6);
    expect(value('ringkv_http_requests_total{op="get",status="404"}')).toBe(1);
    expect(value('ringkv_http_requests_total{op="delete",status="204"}')).toBe(1);
    expect(value('ringkv_http_requests_total{op="other",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE ringkv_http_request_duration_seconds histogram');
    expect(value('ringkv_http_request_duration_seconds_count{op="get"}')).toBe(7);
    expect(value('ringkv_http_request_duration_seconds_bucket{le="+Inf",op="put"}')).toBe(2);

    expect(value('ringkv_coordinator_gets_total')).toBe(7);
    expect(value('ringkv_coordinator_writes_total')).toBe(3);
    expect(value('ringkv_quorum_failures_total')).toBe(0);
    expect(value('ringkv_members{state="alive"}')).toBe(1);
    expect(value('ringkv_members{state="dead"}')).toBe(0);
    expect(value('ringkv_recovery_active')).toBe(0);
    expect(value('ringkv_leveldb_size_bytes')).toBeGreaterThan(0);
    // every write went through group commit: never more batches than writes, at least one of each
    const storeWrites = value('ringkv_store_writes_total') ?? 0;
    const storeBatches = value('ringkv_store_batches_total') ?? 0;
    expect(storeWrites).toBeGreaterThanOrEqual(3);
    expect(storeBatches).toBeGreaterThanOrEqual(1);
    expect(storeBatches).toBeLessThanOrEqual(storeWrites);
    expect(text).toContain('# TYPE ringkv_hints_pending gauge');
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [0-9.e+-]+$/m);

    // Most requested key first: "hot key" had 1 PUT + 5 GETs + 1 DELETE.
    const hot = text.split('\n').filter((l) => l.startsWith('ringkv_hot_key_requests{'));
    expect(hot[0]).toBe('ringkv_hot_key_requests{key="hot key"} 7');
    expect(hot).toContain('ringkv_hot_key_requests{key="cold"} 2');
    expect(hot).toContain('ringkv_hot_key_requests{key="missing"} 1');

    const status = (await (await fetch(`${base}/status`)).json()) as { hotKeys: { key: string; count: number }[] };
    expect(status.hotKeys[0]).toEqual({ key: 'hot key', count: 7 });
    expect(status.hotKeys).toHaveLength(3);

    // Only GET/HEAD are allowed on /metrics.
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('counts the siblings each GET answered and each PUT left (ringkv_kv_siblings)', async () => {
    const scrape = async (): Promise<(series: string) => number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return (series) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);
    };
    const bucket = (op: string, le: string): string => `ringkv_kv_siblings_bucket{le="${le}",op="${op}"}`;
    const before = await scrape();

    // Three writers without a context: each write is concurrent with the others and stays.
    for (const v of ['a', 'b', 'c']) expect((await fetch(`${base}/kv/twin`, { method: 'PUT', body: v })).status).toBe(204);
    const read = await fetch(`${base}/kv/twin`);
    expect(read.status).toBe(300);
    expect(((await read.json()) as { siblings: unknown[] }).siblings).toHaveLength(3);
    // A write with the read's context replaces all three.
    const context = read.headers.get('x-context') ?? '';
    expect((await fetch(`${base}/kv/twin`, { method: 'PUT', body: 'd', headers: { 'x-context': context } })).status).toBe(204);
    expect((await fetch(`${base}/kv/nowhere`)).status).toBe(404);

    const after = await scrape();
    const delta = (op: string, le: string): number => after(bucket(op, le)) - before(bucket(op, le));
    // PUTs left 1, 2, 3 and 1 siblings; the GET answered 3; the 404 is not counted.
    expect([delta('put', '1'), delta('put', '2'), delta('put', '3'), delta('put', '+Inf')]).toEqual([2, 3, 4, 4]);
    expect([delta('get', '2'), delta('get', '3'), delta('get', '+Inf')]).toEqual([0, 1, 1]);
    expect(after('ringkv_kv_siblings_sum{op="put"}') - before('ringkv_kv_siblings_sum{op="put"}')).toBe(7);
  });

  it('lists in /status the keys holding 25 siblings or more, until a write resolves them', async () => {
    const heavy = async (): Promise<unknown> => ((await (await fetch(`${base}/status`)).json()) as { siblingHeavyKeys: unknown }).siblingHeavyKeys;
    const key = 'pile up/é';
    const url = `${base}/kv/${encodeURIComponent(key)}`;
    for (let i = 1; i <= 24; i++) expect((await fetch(url, { method: 'PUT', body: `v${i}` })).status).toBe(204);
    expect(await heavy()).toEqual([]);
    expect((await fetch(url, { method: 'PUT', body: 'v25' })).status).toBe(204);
    expect(await heavy()).toEqual([{ key, siblings: 25 }]);
    const read = await fetch(url);
    expect(read.status).toBe(300);
    await read.arrayBuffer();
    expect((await fetch(url, { method: 'PUT', body: 'resolved', headers: { 'x-context': read.headers.get('x-context') ?? '' } })).status).toBe(204);
    expect(await heavy()).toEqual([]);

    // A delete that saw them all takes the key off the list too.
    for (let i = 1; i <= 25; i++) expect((await fetch(url, { method: 'PUT', body: `w${i}` })).status).toBe(204);
    expect(await heavy()).toEqual([{ key, siblings: 26 }]);
    const again = await fetch(url);
    await again.arrayBuffer();
    expect((await fetch(url, { method: 'DELETE', headers: { 'x-context': again.headers.get('x-context') ?? '' } })).status).toBe(204);
    expect(await heavy()).toEqual([]);
  });
});
