/**
 * A bit flipped at rest in a LevelDB table file, on real `ringkv node`
 * processes: 3 nodes, N=3 R=2 W=2, so every node holds every key. A value of
 * 2000 random bytes (snappy stores them literally) is written, n1 compacts
 * (the record moves from LevelDB's log into a table: a flipped byte in the log
 * would have LevelDB itself drop the record on recovery, a different path) and
 * stops cleanly; one bit inside the value is flipped in n1's table files, and
 * n1 starts again. Its Merkle tree build at start reads the record, finds it
 * failing its checksum (record-envelope.ts), and the node logs it, counts it,
 * renews its actor and fetches the key from n2 and n3 (corrupt-records.ts).
 * Before any read goes through n1 (and with anti-entropy slowed to once an
 * hour), its own copy must read back as written with n2 and n3 stopped: only
 * that repair can have mended it. Then no read through n1, whatever its R,
 * may answer anything but the original bytes, and a scrub finds nothing
 * corrupt. Every wait polls with a deadline.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder } from './chaos-corrupt.js';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http, kvPath, type RawResponse } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const key = 'corrupt-me';
/** Random, so incompressible: snappy keeps it as one literal run, and the needle below is found in the table as is. */
const value = randomBytes(2000);
/** 64 bytes from the middle of the value: what is looked for in n1's files. */
const needleAt = 968;
const needle = value.subarray(needleAt, needleAt + 64);
/** The byte of the needle whose bit is flipped, and the bit. */
const flipAt = 32;
const flipMask = 0x10;
const fillerCount = 300;
const octet = { 'content-type': 'application/octet-stream' };

/** Offsets of every occurrence of `what` in `buf`. */
function occurrences(buf: Buffer, what: Buffer): number[] {
  const at: number[] = [];
  for (let i = buf.indexOf(what); i !== -1; i = buf.indexOf(what, i + 1)) at.push(i);
  return at;
}

/** Files under `dir` holding `what`, with the offsets. */
async function filesHolding(dir: string, what: Buffer): Promise<{ file: string; offsets: number[] }[]> {
  const hits: { file: string; offsets: number[] }[] = [];
  for (const file of await filesUnder(dir)) {
    const offsets = occurrences(await readFile(file), what);
    if (offsets.length > 0) hits.push({ file, offsets });
  }
  return hits;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** One counter of a /metrics page (NaN when absent). */
function metric(page: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1]);
}

const describeGet = (res: RawResponse): string =>
  res.status !== 200
    ? `status ${res.status}: ${res.text().slice(0, 300)}`
    : res.body.equals(value)
      ? 'the original bytes'
      : `${res.body.length} bytes, ${res.body.length === value.length ? `differing at ${[...res.body].findIndex((b, i) => b !== value[i])}` : 'not the original length'}`;

describe.skipIf(!serverBuilt)('a bit flipped in a table file of n1 (3 nodes, N=3 R=2 W=2)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  /** Every node process that ended, in order: a crash shows up here. */
  const exits: string[] = [];
  const url = (id: string): string => cluster.node(id).httpUrl;
  const get = (id: string, query = ''): Promise<RawResponse> => http(url(id), kvPath(key, query));

  beforeAll(async () => {
    temp = await startTempCluster('corruption', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      // anti-entropy every hour: only the node's own repair may mend its copy (see below)
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--ae-interval-ms', '3600000'],
      onNodeExit: (id, reason) => exits.push(`${id} ${reason}`),
    });
    cluster = temp.cluster;
  }, 60_000);
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster, 40);

  it('writes the value and fillers, on every replica; n1 compacts them into its tables and stops cleanly', async () => {
    expect((await http(url('n1'), kvPath(key), { method: 'PUT', body: value, headers: octet })).status).toBe(204);
    const failed: string[] = [];
    await eachLimited(
      Array.from({ length: fillerCount }, (_, i) => i),
      16,
      async (i) => {
        const res = await http(url('n1'), kvPath(`filler-${i}`), { method: 'PUT', body: `filler value ${i} `.repeat(8) });
        if (res.status !== 204) failed.push(`filler-${i}: ${res.status} ${res.text().slice(0, 200)}`);
      },
    );
    expect(failed).toEqual([]);
    // n2 and n3 must hold the value for n1 to repair from: r=1 there reads the node's own copy first
    for (const id of ['n2', 'n3']) {
      await waitFor(async () => (await get(id, 'r=1')).body.equals(value), { what: `${id}'s own copy of ${key}`, timeoutMs: 20_000 });
    }
    const compact = await http(url('n1'), '/admin/compact', { method: 'POST' });
    expect(compact.status, compact.text()).toBe(200);
    await cluster.kill('n1', 'SIGTERM');
    expect(cluster.node('n1').pid).toBeUndefined();
    expect(exits).toEqual(['n1 exited with code 0']);
  }, 60_000);

  it('flips one bit of the value in every copy on n1\'s disk, all of them in table files', async () => {
    const dataDir = cluster.node('n1').dataDir;
    const hits = await filesHolding(dataDir, needle);
    const shown = hits.map((h) => `${h.file} @ ${h.offsets.join(',')}`).join('; ');
    expect(hits.length, `files of ${dataDir} holding the value: ${shown}`).toBeGreaterThanOrEqual(1);
    // compacted: the value is in .ldb tables only, not in the write-ahead log
    expect(
      hits.every((h) => h.file.endsWith('.ldb')),
      shown,
    ).toBe(true);
    for (const { file, offsets } of hits) {
      const bytes = await readFile(file);
      for (const at of offsets) bytes[at + flipAt] = (bytes[at + flipAt] as number) ^ flipMask;
      await writeFile(file, bytes);
    }
    // no intact copy is left on n1's disk; the damaged one is there
    expect(await filesHolding(dataDir, needle)).toEqual([]);
    const damaged = Buffer.from(needle);
    damaged[flipAt] = (damaged[flipAt] as number) ^ flipMask;
    expect((await filesHolding(dataDir, damaged)).map((h) => h.file)).toEqual(hits.map((h) => h.file));
  });

  it('restarted, n1 finds the damage, logs it, counts it, renews its actor and repairs its own copy from n2 and n3', async () => {
    await cluster.restart('n1');
    // No read goes through n1 before its own copy is checked below, and anti-entropy waits an hour:
    // neither a read repair nor an exchange can have mended it, only the repair the node starts itself.
    const page = await waitFor(
      async () => {
        const text = (await http(url('n1'), '/metrics')).text();
        return metric(text, 'ringkv_corrupt_records_total') >= 1 && metric(text, 'ringkv_corrupt_keys_repaired_total') >= 1 ? text : false;
      },
      { what: 'n1 /metrics to count a corrupt record and its repair', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(metric(page, 'ringkv_actor_renewals_total')).toBeGreaterThanOrEqual(1);
    expect(metric(page, 'ringkv_corrupt_hints_total')).toBe(0);
    // logged as an error, naming that key and no other: nothing else on n1's disk was damaged
    const reports = (await cluster.logTail('n1', 500)).split('\n').filter((line) => line.includes('failed its checksum'));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reports.map((line) => (JSON.parse(line) as { key?: string }).key))).toEqual(new Set([Buffer.from(key).toString('hex')]));
    expect(reports.every((line) => (JSON.parse(line) as { level?: number }).level === 50)).toBe(true);

    // compacted again, the record n1 repaired is in a table file, intact
    const compact = await http(url('n1'), '/admin/compact', { method: 'POST' });
    expect(compact.status, compact.text()).toBe(200);
    expect((await filesHolding(cluster.node('n1').dataDir, needle)).length, 'files of n1 holding the value intact').toBeGreaterThanOrEqual(1);

    // with n2 and n3 stopped, r=1 reads n1's own copy, and there is no other replica to fall back on
    await cluster.kill('n2', 'SIGTERM');
    await cluster.kill('n3', 'SIGTERM');
    expect([cluster.node('n2').pid, cluster.node('n3').pid]).toEqual([undefined, undefined]);
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(describeGet(await get('n1', 'r=1')));
    expect(answers).toEqual(Array.from({ length: 5 }, () => 'the original bytes'));
    await cluster.restart('n2');
    await cluster.restart('n3');
    expect(exits).toEqual(['n1 exited with code 0', 'n2 exited with code 0', 'n3 exited with code 0']);
    // until n1's failure detector has heard from them again, an r=3 read cannot be served
    await waitFor(async () => (await get('n1', 'r=3')).status === 200, { what: 'n1 to reach n2 and n3 again (r=3)', timeoutMs: 20_000, intervalMs: 200 });
  }, 60_000);

  it('answers every read through n1 with the original bytes, never the damaged ones', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) answers.push(describeGet(await get('n1', i % 2 === 0 ? '' : 'r=1')));
    for (let i = 0; i < 20; i++) answers.push(describeGet(await get('n1', i % 2 === 0 ? 'r=2' : 'r=3')));
    expect(answers).toEqual(Array.from({ length: 40 }, () => 'the original bytes'));
  }, 60_000);

  it('scrubs clean afterwards: every record read, none corrupt', async () => {
    const res = await http(url('n1'), '/admin/scrub', { method: 'POST', timeoutMs: 30_000 });
    expect(res.status, res.text()).toBe(200);
    const body = res.json() as { partitions: number; records: number; corrupt: number; ms: number; stats: Record<string, number> };
    expect(body.corrupt, res.text()).toBe(0);
    expect(body.records).toBeGreaterThanOrEqual(fillerCount + 1);
    expect(body.partitions).toBeGreaterThan(0);
    expect(body.stats).toMatchObject({ hints: 0 });
    expect(body.stats['records']).toBeGreaterThanOrEqual(1);
    expect(body.stats['keysRepaired']).toBeGreaterThanOrEqual(1);
    expect(body.stats['actorsRenewed']).toBeGreaterThanOrEqual(1);
    // and the key still reads back whole through every node
    for (const id of ['n1', 'n2', 'n3']) expect(describeGet(await get(id)), id).toBe('the original bytes');
    expect(exits).toEqual(['n1 exited with code 0', 'n2 exited with code 0', 'n3 exited with code 0']);
  }, 60_000);
});
