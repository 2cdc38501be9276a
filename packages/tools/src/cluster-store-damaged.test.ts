/**
 * A table block LevelDB itself finds damaged, on real `ringkv node` processes
 * (3 nodes, N=3 R=2 W=2): once a compaction has read it, LevelDB refuses every
 * write (its "background error"). The node must treat that like a full disk —
 * hand the writes it coordinates to another replica, so clients see 204s —
 * and say what is going on (`/status` store.storeDamaged, `/metrics`, a log
 * line naming `ringkv repair-store`); after `ringkv repair-store` on the
 * stopped node it recovers (it lost records without knowing which) and takes
 * writes again. Every wait polls with a deadline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const fillers = 3000;
/** Compressible, so LevelDB snappy-compresses its blocks (as it does real values). */
const fillerValue = (i: number, round: number): string => `filler value ${round} ${i} `.repeat(6);

/** One counter of a /metrics page (NaN when absent). */
function metric(page: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1]);
}

/** Runs `fn` over 0..count-1 with at most `limit` in flight; the failures, described. */
async function putAll(count: number, limit: number, put: (i: number) => Promise<number>): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) {
        const i = next++;
        const status = await put(i);
        if (status !== 204) failed.push(`${i}: ${status}`);
      }
    }),
  );
  return failed;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe.skipIf(!serverBuilt)('a damaged table block that stops LevelDB\'s writes on n1 (3 nodes, N=3 R=2 W=2)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  const exits: string[] = [];
  const url = (id: string): string => cluster.node(id).httpUrl;
  const put = (id: string, key: string, body: string): Promise<number> => http(url(id), kvPath(key), { method: 'PUT', body }).then((r) => r.status);

  beforeAll(async () => {
    temp = await startTempCluster('store-damaged', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200'],
      onNodeExit: (id, reason) => exits.push(`${id} ${reason}`),
    });
    cluster = temp.cluster;
  }, 60_000);
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster, 40);

  it('writes fillers everywhere; n1 compacts them into a table, stops, and 4 KiB of the table are inverted', async () => {
    expect(await putAll(fillers, 16, (i) => put('n1', `filler-${i}`, fillerValue(i, 0)))).toEqual([]);
    expect((await http(url('n1'), '/admin/compact', { method: 'POST' })).status).toBe(200);
    await cluster.kill('n1', 'SIGTERM');
    expect(exits).toEqual(['n1 exited with code 0']);
    const dir = cluster.node('n1').dataDir;
    const tables: { file: string; size: number }[] = [];
    for (const name of await readdir(dir)) if (name.endsWith('.ldb')) tables.push({ file: join(dir, name), size: (await stat(join(dir, name))).size });
    const biggest = tables.sort((a, b) => b.size - a.size)[0];
    expect(biggest?.size ?? 0, 'the compacted table').toBeGreaterThan(50_000);
    const bytes = await readFile(biggest?.file as string);
    // A span as long as a block (LevelDB's 4 KiB) covers at least one block trailer, whose type
    // byte LevelDB checks on every read ("bad block type"). Four inverted bytes were not enough:
    // LevelDB verifies no checksums in compactions here, and bytes landing inside a snappy literal
    // decompress into a wrong value without an error (about half the time in a standalone run of
    // this shape; one CI run of this test waited in vain for the refusal).
    const at = Math.floor(bytes.length / 3);
    for (let i = at; i < at + 4096; i++) bytes[i] = (bytes[i] as number) ^ 0xff;
    await writeFile(biggest?.file as string, bytes);
  }, 120_000);

  it('restarted, n1 refuses writes once a compaction read the block, and its clients do not notice', async () => {
    await cluster.restart('n1');
    // writes over the whole key range reach n1 as a replica; compacting them in must read the damaged block
    expect(await putAll(fillers / 3, 16, (i) => put('n2', `filler-${i * 3}`, fillerValue(i * 3, 1)))).toEqual([]);
    await waitFor(async () => (await http(url('n1'), '/admin/compact', { method: 'POST' })).status === 200 && (await put('n1', 'probe', 'p')) === 204, {
      what: 'n1 to compact and answer a write',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const status = await waitFor(
      async () => {
        const s = (await http(url('n1'), '/status')).json() as { store?: { storeDamaged?: boolean; refusedDamaged?: number } };
        return s.store?.storeDamaged === true ? s : false;
      },
      { what: 'n1 /status to report its store refusing writes', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(status.store?.refusedDamaged).toBeGreaterThanOrEqual(1);
    // writes coordinated by n1 go to n2 or n3: every one is acknowledged, and reads through n1 see them
    expect(await putAll(50, 8, (i) => put('n1', `after-${i}`, `after ${i}`))).toEqual([]);
    for (let i = 0; i < 50; i += 7) {
      const res = await http(url('n1'), kvPath(`after-${i}`));
      expect(res.status, `after-${i}`).toBe(200);
      expect(res.text()).toBe(`after ${i}`);
    }
    const page = (await http(url('n1'), '/metrics')).text();
    expect(metric(page, 'ringkv_store_damaged_refusals_total')).toBeGreaterThanOrEqual(1);
    const logged = (await cluster.logTail('n1', 2000)).split('\n').filter((l) => l.includes('ringkv repair-store --data'));
    expect(logged.length, 'a log line naming ringkv repair-store').toBeGreaterThanOrEqual(1);
    const human = await runCli(['status', '--node', url('n1')]);
    expect(human.stdout + human.stderr).toContain('WRITES STOPPED');
  }, 120_000);

  it('after `ringkv repair-store` on the stopped node, n1 takes writes again', async () => {
    await cluster.kill('n1', 'SIGTERM');
    const repaired = await runCli(['repair-store', '--data', cluster.node('n1').dataDir]);
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('recovers what was lost');
    await cluster.restart('n1');
    // RepairDB dropped what it could not read: n1 recovers before serving reads of its own copies
    await waitFor(async () => (await cluster.logTail('n1', 200)).includes('offline repair-store'), { what: "n1's log to say it recovers after the repair", timeoutMs: 20_000, intervalMs: 300 });
    await waitFor(async () => ((await http(url('n1'), '/status')).json() as { recovering?: { active?: boolean } }).recovering?.active === false, {
      what: 'n1 to finish its recovery',
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    await waitFor(async () => (await put('n1', 'after-repair', 'ok')) === 204, { what: 'a write through n1 after the repair', timeoutMs: 30_000, intervalMs: 300 });
    expect((await http(url('n1'), '/admin/compact', { method: 'POST' })).status).toBe(200);
    expect(await putAll(30, 8, (i) => put('n1', `repaired-${i}`, `r ${i}`))).toEqual([]);
    const s = (await http(url('n1'), '/status')).json() as { store?: { storeDamaged?: boolean; refusedDamaged?: number } };
    expect(s.store).toMatchObject({ storeDamaged: false, refusedDamaged: 0 });
    expect(exits.every((e) => e.endsWith('exited with code 0')), exits.join('; ')).toBe(true);
  }, 120_000);
});
