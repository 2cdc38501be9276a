/**
 * `ringkv backup` and `ringkv restore` against real clusters (3 nodes each,
 * N=3 R=2 W=2, 16 partitions): a backup of a cluster with siblings, deletes
 * and one stale replica, restored into a fresh cluster by merging; contexts
 * from the old cluster keep working; a second restore keeps newer versions;
 * damaged files and garbage batches are refused without writing anything.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BackupFileReader, BackupFileWriter, RingkvClient } from '@ringkv/client';
import { applyWrite, emptyDots, encodeKey, partitionOfKey, recordCovers, recordEquals, recordToWire, type KvRecord } from '@ringkv/core';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from './node-process.js';
import { http } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
const run = promisify(execFile);
const partitionCount = 16;
const nodeArgs = [
  '--log-level', 'warn', '--partitions', String(partitionCount), '--gossip-interval-ms', '200',
  // no anti-entropy during the test: the stale replica must stay stale until the backup
  '--ae-interval-ms', '600000',
];

/** Runs the real `ringkv` command; never throws, so a test can look at a failing run. */
async function ringkv(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliEntry(), ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function values(c: RingkvClient, key: string): Promise<string[] | 'absent'> {
  const got = await c.get(key);
  if (!got.found) return 'absent';
  return got.siblings.map((s) => Buffer.from(s.value).toString('utf8')).sort();
}

async function recordsOf(file: string): Promise<Map<string, KvRecord>> {
  const r = await BackupFileReader.open(file);
  const out = new Map<string, KvRecord>();
  for await (const e of r.entries()) out.set(e.key.toString('utf8'), e.record);
  return out;
}

const plainKeys = Array.from({ length: 40 }, (_, i) => `k${i}`);
const unicodeKey = 'ключ/ü 🗝';

// Each test runs the real CLI (a node process) several times: generous time on a loaded machine, no timed assertions.
describe.skipIf(!serverBuilt)('ringkv backup and restore on real clusters', { timeout: 180_000 }, () => {
  let dir = '';
  let source: TempCluster | undefined;
  let target: TempCluster | undefined;
  let file = '';
  const oldContexts = new Map<string, string>();
  let backupRecords = new Map<string, KvRecord>();

  beforeAll(async () => {
    // the backup files outlive the source cluster (and its directory)
    dir = await mkdtemp(join(tmpdir(), 'ringkv-backup-files-'));
    source = await startTempCluster('backup-src', { nodes: 3, n: 3, r: 2, w: 2, extraArgs: nodeArgs });
    file = join(dir, 'cluster.ringkv');
  });
  afterAll(async () => {
    await source?.dispose();
    await target?.dispose();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });
  printNodeLogsOnFailure(() => target?.cluster ?? source?.cluster);

  it('backs up every key with its siblings, tombstones and history, also from a stale replica', async () => {
    const cluster = (source as TempCluster).cluster;
    const [u1, u2, u3] = cluster.urls() as [string, string, string];
    const c = new RingkvClient({ nodes: [u1, u2] });
    try {
      for (const k of plainKeys) await c.put(k, `v-${k}`);
      await c.put(unicodeKey, Uint8Array.from([0, 255, 7]), { contentType: 'application/x-test' });
      await c.put('cart', 'alice', { node: u1 });
      await c.put('cart', 'bob', { node: u2 });
      const gone = await c.put('gone', 'soon deleted');
      await c.delete('gone', { context: gone.context });
      for (const k of ['k0', 'cart']) {
        const got = await c.get(k);
        if (got.found) oldContexts.set(k, got.context);
      }
      expect(await values(c, 'cart')).toEqual(['alice', 'bob']);
      // A write while n3 is down reaches n1 and n2 only (3 nodes: no fallback); nothing repairs n3 before the backup.
      await cluster.kill('n3');
      await c.put('late', 'written while n3 was down', { node: u1 });
      await cluster.restart('n3');
    } finally {
      await c.close();
    }
    const late = encodeKey('late');
    const p = partitionOfKey(late, partitionCount);
    const onN3 = await http(u3, `/admin/backup/partition/${p}`);
    expect(onN3.status).toBe(200);
    expect(onN3.body.includes(Buffer.from('late'))).toBe(false);

    const res = await ringkv(['backup', '--out', file, '--node', u3, '--json', '--quiet']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout) as { keys: number; deletedKeys: number; keysWithSiblings: number; entries: number; replicaReads: number };
    const expectedKeys = plainKeys.length + 4; // unicode, cart, gone, late
    expect(summary).toMatchObject({ keys: expectedKeys, entries: expectedKeys, deletedKeys: 1, keysWithSiblings: 1, replicaReads: partitionCount * 3 });
    backupRecords = await recordsOf(file);
    expect([...backupRecords.keys()].sort()).toEqual([...plainKeys, unicodeKey, 'cart', 'gone', 'late'].sort());
    expect(backupRecords.get('gone')?.siblings.every((s) => s.value === null)).toBe(true);
    expect(backupRecords.get('late')?.siblings.map((s) => Buffer.from(s.value ?? []).toString())).toEqual(['written while n3 was down']);
    // an existing file is not overwritten
    const again = await ringkv(['backup', '--out', file, '--node', u3, '--quiet']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);
  });

  it('restores into a fresh cluster by merging: same siblings and histories, concurrent writes kept', async () => {
    await source?.dispose();
    source = undefined;
    target = await startTempCluster('backup-dst', { nodes: 3, n: 3, r: 2, w: 2, extraArgs: nodeArgs });
    const [u1] = target.cluster.urls() as [string];
    const c = new RingkvClient({ nodes: target.cluster.urls() });
    try {
      await c.put('cart', 'carol'); // written in the new cluster before the restore: concurrent with the backup's
      const res = await ringkv(['restore', file, '--node', u1, '--json', '--quiet', '--batch', '7']);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const summary = JSON.parse(res.stdout) as { entries: number; restored: number; failed: number; requests: number; compactMs?: number };
      // every node compacted its LevelDB after the writes (the default), none failed
      expect(summary).toMatchObject({ entries: backupRecords.size, restored: backupRecords.size, failed: 0, compactFailures: [] });
      expect(summary.compactMs).toBeGreaterThanOrEqual(0);
      expect(summary.requests).toBeGreaterThanOrEqual(Math.ceil(backupRecords.size / 7));

      for (const k of plainKeys) expect(await values(c, k)).toEqual([`v-${k}`]);
      expect(await values(c, 'cart')).toEqual(['alice', 'bob', 'carol']);
      expect(await values(c, 'gone')).toBe('absent');
      expect(await values(c, 'late')).toEqual(['written while n3 was down']);
      const bin = await c.get(unicodeKey);
      expect(bin.found && bin.siblings.map((s) => [Buffer.from(s.value).toString('hex'), s.contentType])).toEqual([['00ff07', 'application/x-test']]);

      // Every replica holds exactly what the backup held (cart: plus carol). Back the new cluster up and compare records.
      const copy = join(dir, 'copy.ringkv');
      const res2 = await ringkv(['backup', '--out', copy, '--node', u1, '--quiet', '--min-replicas', '3']);
      expect(res2.code).toBe(0);
      const restored = await recordsOf(copy);
      expect(restored.size).toBe(backupRecords.size);
      for (const [key, rec] of backupRecords) {
        const now = restored.get(key) as KvRecord;
        expect(now, key).toBeDefined();
        if (key === 'cart') expect(recordCovers(now, rec) && now.siblings.length === 3).toBe(true);
        else expect(recordEquals(now, rec), key).toBe(true);
      }
    } finally {
      await c.close();
    }
  });

  it('contexts from before the backup still work, and a second restore keeps the newer versions', async () => {
    const cluster = (target as TempCluster).cluster;
    const c = new RingkvClient({ nodes: cluster.urls() });
    try {
      await c.put('k0', 'newer', { context: oldContexts.get('k0') as string });
      expect(await values(c, 'k0')).toEqual(['newer']);
      // the old context covered alice and bob, not carol
      await c.put('cart', 'resolved', { context: oldContexts.get('cart') as string });
      expect(await values(c, 'cart')).toEqual(['carol', 'resolved']);

      const res = await ringkv(['restore', file, '--node', cluster.urls()[1] as string, '--json', '--quiet', '--no-compact']);
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ restored: backupRecords.size, failed: 0 });
      expect(JSON.parse(res.stdout)).not.toHaveProperty('compactMs');
      expect(await values(c, 'k0')).toEqual(['newer']);
      expect(await values(c, 'cart')).toEqual(['carol', 'resolved']);
      expect(await values(c, 'k1')).toEqual(['v-k1']);
    } finally {
      await c.close();
    }
  });

  it('refuses a truncated or corrupted file before writing anything', async () => {
    const cluster = (target as TempCluster).cluster;
    const [u1, u2] = cluster.urls() as [string, string];
    // a valid file with keys the cluster does not have
    const fresh = join(dir, 'fresh.ringkv');
    const w = await BackupFileWriter.create(fresh, {
      createdAt: new Date().toISOString(),
      cluster: { partitionCount, n: 3, r: 2, w: 2, epoch: 1 },
      nodes: ['x1'],
      tool: 'test',
    });
    for (let i = 0; i < 50; i++) {
      const rec = applyWrite(undefined, { actor: 'x1#1', context: emptyDots(), value: Buffer.from(`f${i}`), contentType: 'text/plain', writtenAt: 1 }).record;
      await w.add(encodeKey(`fresh-${i}`), rec);
    }
    await w.finish();
    const bytes = await readFile(fresh);
    const truncated = join(dir, 'truncated.ringkv');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 20));
    const flipped = join(dir, 'flipped.ringkv');
    const copy = Buffer.from(bytes);
    const at = copy.indexOf(Buffer.from('f42'));
    copy[at + 1] = '7'.charCodeAt(0); // value "f72": still a well-formed record, only the checksum can tell
    await writeFile(flipped, copy);

    for (const [bad, why] of [
      [truncated, /refused: .*truncated/],
      [flipped, /refused: .*checksum mismatch/],
    ] as const) {
      const res = await ringkv(['restore', bad, '--node', u1, '--quiet']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(why);
    }
    const c = new RingkvClient({ nodes: [u2] });
    try {
      for (const i of [0, 42, 49]) expect(await values(c, `fresh-${i}`)).toBe('absent');
      // the intact file restores
      const ok = await ringkv(['restore', fresh, '--node', u1, '--quiet']);
      expect(ok.stdout).toContain('50 of 50 keys restored, 0 failed');
      expect(ok.stdout).toMatch(/^LevelDB compacted on every node in [0-9]+\.[0-9] s$/m);
      expect(await values(c, 'fresh-42')).toEqual(['f42']);
    } finally {
      await c.close();
    }
  });

  it('answers a malformed restore batch with 400 and stores none of it', async () => {
    const [u1, u2] = (target as TempCluster).cluster.urls() as [string, string];
    const packr = new Packr({ useRecords: false });
    const good = applyWrite(undefined, { actor: 'x1#1', context: emptyDots(), value: Buffer.from('g'), contentType: 'text/plain', writtenAt: 1 }).record;
    const goodWire = recordToWire(good);
    const cases: [string, Uint8Array][] = [
      ['not msgpack', Buffer.from([0xc1])],
      ['not an array', packr.pack({ a: 1 })],
      ['bad record', packr.pack([[Buffer.from('bad-1'), goodWire], [Buffer.from('bad-2'), [[], [['x1#1', 1, null, 'x', 1]]]]])],
      ['bad key', packr.pack([[Buffer.from([0xff, 0xfe]), goodWire]])],
      ['empty key', packr.pack([[Buffer.alloc(0), goodWire]])],
    ];
    for (const [what, body] of cases) {
      const res = await http(u1, '/admin/restore', { method: 'POST', headers: { 'content-type': 'application/x-msgpack' }, body });
      expect(res.status, what).toBe(400);
      expect((res.json() as { error: string }).error, what).toBe('BAD_REQUEST');
    }
    const c = new RingkvClient({ nodes: [u2] });
    try {
      expect(await values(c, 'bad-1')).toBe('absent');
    } finally {
      await c.close();
    }
    expect((await http(u1, '/admin/backup/partition/16')).status).toBe(400);
    expect((await http(u1, '/admin/backup/partition/x')).status).toBe(400);
  });
});
