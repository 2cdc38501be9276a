/**
 * TTL on real `ringkv node` processes (issue #8, item 1): 3 nodes, N=3 R=2
 * W=2, so every node holds every key. 10,000 keys are written with ttl=2 by
 * a parallel loader; each is read back at once (a read that finishes within
 * 2 s of its write's start must see the value — the deadline is at least
 * that far from the write). Past the deadline every key is absent through
 * every node at r=1; the expiry index empties, tombstone GC reaps the
 * emptied records, and after a compaction the data directories are smaller.
 * No timed assertions: every wait polls a condition with a deadline.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http, kvPath, statusOf, type NodeStatusJson } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const ids = ['n1', 'n2', 'n3'] as const;
const keyCount = 10_000;
const ttlSeconds = 2;
const valueChars = 512;
const loaderConcurrency = 48;

interface ExpiryStatus {
  readonly rounds: number;
  readonly entriesHandled: number;
  readonly recordsPurged: number;
  readonly indexEntries: number;
}
const expiry = (s: NodeStatusJson): ExpiryStatus => s['expiryPurge'] as ExpiryStatus;

/** Bytes of every file under `dir` (LevelDB tables, logs, manifest). */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

/** Runs `fn` over 0..count-1 with at most `limit` in flight. */
async function eachIndex(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) await fn(next++);
  }));
}

describe.skipIf(!serverBuilt)('TTL in a 3-node cluster (N=3 R=2 W=2): 10,000 keys with ttl=2', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  const pools = new Map<string, Pool>();
  const url = (id: string): string => cluster.node(id).httpUrl;
  printNodeLogsOnFailure(() => temp?.cluster);

  beforeAll(async () => {
    temp = await startTempCluster('ttl', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: [
        '--log-level', 'warn',
        // few partitions and quick exchanges, so tombstone GC gets through them in seconds
        '--partitions', '16',
        '--ae-interval-ms', '20',
        '--tombstone-grace-ms', '500',
        '--gossip-interval-ms', '200',
        '--request-timeout-ms', '3000',
        // The background purger would start dropping values while the load still runs (a slow
        // machine takes longer than the TTL to write 10,000 keys), so the "before" size would
        // already be purged. This test runs the purge rounds itself (POST /admin/expiry/purge).
        '--expiry-purge-interval-ms', '3600000',
      ],
    });
    cluster = temp.cluster;
    for (const id of ids) pools.set(id, new Pool(url(id), { connections: 16, pipelining: 1 }));
  });

  afterAll(async () => {
    await Promise.all([...pools.values()].map((p) => p.close()));
    await temp?.dispose();
  });

  const request = async (id: string, method: 'GET' | 'PUT', path: string, body?: string): Promise<{ status: number; text: string }> => {
    const res = await (pools.get(id) as Pool).request({ method, path, ...(body === undefined ? {} : { body, headers: { 'content-type': 'text/plain' } }) });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const sizes = async (): Promise<number[]> => Promise.all(ids.map((id) => dirBytes(cluster.node(id).dataDir)));
  const compactAll = async (): Promise<void> => {
    for (const id of ids) {
      const res = await http(url(id), '/admin/compact', { method: 'POST', timeoutMs: 120_000 });
      expect(res.status, res.text()).toBe(200);
      expect((res.json() as { compacted: boolean }).compacted).toBe(true);
    }
  };

  it('serves every key until its deadline, none after it through any node, then purges, collects and shrinks the store', async () => {
    const values = Array.from({ length: keyCount }, (_, i) => `${i}:${randomBytes(valueChars).toString('base64').slice(0, valueChars)}`);
    let conclusive = 0;
    let lastWriteStarted = 0;
    const loadStarted = Date.now();
    await eachIndex(keyCount, loaderConcurrency, async (i) => {
      const writer = ids[i % 3] as string;
      const reader = ids[(i + 1) % 3] as string;
      const started = Date.now();
      lastWriteStarted = Math.max(lastWriteStarted, started);
      const put = await request(writer, 'PUT', kvPath(`ttl-${i}`, `ttl=${ttlSeconds}`), values[i]);
      expect(put.status, put.text).toBe(204);
      const got = await request(reader, 'GET', kvPath(`ttl-${i}`));
      // The deadline is the coordinator's clock at the write plus 2 s, and that clock read
      // came after `started` (one machine, one clock): a read done before started+2s must see it.
      if (Date.now() - started < ttlSeconds * 1000) {
        conclusive++;
        expect(got.status, `ttl-${i} right after its write`).toBe(200);
        expect(got.text).toBe(values[i]);
      }
    });
    const loadMs = Date.now() - loadStarted;
    expect(conclusive, 'reads that finished before the deadline could pass').toBeGreaterThan(keyCount / 2);
    const indexed = (await Promise.all(ids.map((id) => statusOf(url(id))))).map((s) => expiry(s).indexEntries);
    await compactAll();
    const before = await sizes();

    // Past every deadline (plus a margin for the nodes' clocks reading later than ours did).
    const waitMs = lastWriteStarted + ttlSeconds * 1000 + 200 - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    const found: string[] = [];
    for (const id of ids) {
      await eachIndex(keyCount, loaderConcurrency, async (i) => {
        const got = await request(id, 'GET', kvPath(`ttl-${i}`, 'r=1'));
        if (got.status !== 404) found.push(`ttl-${i} via ${id}: ${got.status}`);
      });
    }
    expect(found.slice(0, 10), `${found.length} keys still readable after their deadline`).toEqual([]);

    // A purge round empties the index; GC then reaps the emptied records on every node.
    const purgedByRound: number[] = [];
    for (const id of ids) {
      const res = await http(url(id), '/admin/expiry/purge', { method: 'POST', timeoutMs: 120_000 });
      expect(res.status, res.text()).toBe(200);
      purgedByRound.push((res.json() as { recordsPurged: number }).recordsPurged);
    }
    for (const s of await Promise.all(ids.map((id) => statusOf(url(id))))) expect(expiry(s).indexEntries).toBe(0);
    // Let the exchanges that spread the purge settle, so the measurement is of a quiet store.
    let repaired = -1;
    await waitFor(
      async () => {
        const now = (await Promise.all(ids.map((id) => statusOf(url(id))))).reduce((a, x) => a + (x['antiEntropy'] as { keysRepaired: number }).keysRepaired, 0);
        const quiet = now === repaired;
        repaired = now;
        return quiet;
      },
      { what: 'anti-entropy to stop repairing', timeoutMs: 60_000, intervalMs: 1000 },
    );
    // A node whose copies are purged by anti-entropy may still be receiving them after the
    // quiet window above: measure (after a compaction) until every store has shrunk, or time out.
    const afterPurge = await waitFor(
      async () => {
        await compactAll();
        const s = await sizes();
        return s.every((bytes, i) => bytes < (before[i] as number) / 2) && s;
      },
      { what: 'every node\'s store to shrink after the purge spread', timeoutMs: 60_000, intervalMs: 1000 },
    );
    const reaped = await waitFor(
      async () => {
        const s = await Promise.all(ids.map((id) => statusOf(url(id))));
        return s.every((x) => x.keysStored === 0) && s;
      },
      { what: 'tombstone GC to reap every emptied record', timeoutMs: 90_000, intervalMs: 500 },
    );
    await compactAll();
    const afterGc = await sizes();
    const report = {
      keys: keyCount,
      valueBytes: valueChars,
      loadMs,
      conclusiveReads: conclusive,
      indexEntriesAfterLoad: indexed,
      bytesAfterLoad: before,
      bytesAfterPurge: afterPurge,
      bytesAfterGc: afterGc,
      recordsPurgedByRound: purgedByRound,
      recordsPurgedInAll: reaped.map((s) => expiry(s).recordsPurged),
    };
    console.log(`TTL figures: ${JSON.stringify(report)}`);
    for (let i = 0; i < ids.length; i++) {
      // 10,000 values of 512 bytes are ~5 MB per node; what is left is histories, then nothing
      // but LevelDB's own files (log, manifest), whose few kB move either way.
      expect(before[i] as number).toBeGreaterThan(keyCount * valueChars * 0.5);
      expect(afterPurge[i] as number).toBeLessThan((before[i] as number) / 2);
      expect(afterGc[i] as number).toBeLessThan((before[i] as number) / 10);
    }
  }, 600_000);

  it('refuses a bad ttl with 400 BAD_REQUEST', async () => {
    for (const bad of ['0', '-1', '1.5', 'abc', '400000000', '']) {
      const res = await http(url('n1'), kvPath('ttl-bad', `ttl=${bad}`), { method: 'PUT', body: 'x' });
      expect(res.status, `ttl=${bad}`).toBe(400);
      expect(res.json()).toMatchObject({ error: 'BAD_REQUEST' });
    }
  });
});
