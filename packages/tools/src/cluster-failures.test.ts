/**
 * Failure handling (issue 3) on real `ringkv node` processes: gossip failure
 * detection, the sloppy quorum with hints, durable hinted handoff, pr/pw.
 *
 * Four nodes with N=3, so every key has three primaries and exactly one
 * fallback (the fourth node); RingLayout computes which is which the way the
 * nodes do. Gossip and handoff run every 200 ms to keep the file fast; the
 * detection figures with default settings are checked in their own cluster at
 * the end. Tests run in order and leave every node running when they end.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { hintsTotal, http, kvPath, statusOf, type NodeStatusJson, type RawResponse } from './test-support/raw-http.js';
import { RingLayout } from './test-support/ring-layout.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const ids = ['n1', 'n2', 'n3', 'n4'] as const;
const layout = new RingLayout(4, 3, 256);

/** Keys whose three primaries are all but `fallback`, which is then their only fallback. */
function keysWithFallback(prefix: string, fallback: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `${prefix}-${i}`;
    if (layout.walk(key)[3] === fallback) keys.push(key);
  }
  return keys;
}

describe.skipIf(!serverBuilt)('failures in a 4-node cluster (N=3 R=2 W=2): sloppy quorum, hinted handoff, pr/pw', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  const url = (id: string): string => cluster.node(id).httpUrl;

  beforeAll(async () => {
    temp = await startTempCluster('failures', {
      nodes: 4,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--handoff-interval-ms', '200', '--request-timeout-ms', '1500'],
    });
    cluster = temp.cluster;
  });

  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);
  // A test that failed half-way may leave nodes down; the next one starts from a whole cluster.
  afterEach(async () => {
    const stopped = ids.filter((id) => cluster.node(id).pid === undefined);
    for (const id of stopped) await cluster.restart(id);
    for (const id of stopped) await waitUntilSeen(id, ['alive'], ids.filter((o) => o !== id));
    if (stopped.length > 0) await waitUntilFullyConnected();
  });

  const put = (via: string, key: string, value: string, query = ''): Promise<RawResponse> =>
    http(url(via), kvPath(key, query), { method: 'PUT', body: value, headers: { 'content-type': 'text/plain' } });
  const get = (via: string, key: string, query = ''): Promise<RawResponse> => http(url(via), kvPath(key, query));

  /**
   * A PUT with w=3 while one primary is down: acknowledged only once the fallback has stored its
   * hint — a W=2 write hands its hint over after the quorum is met, and a loaded machine can let
   * that background call time out (a CI run once found 6 of 8 such hints). A 503 is retried with
   * the context of a read, which supersedes whatever the failed attempt left, so the key still ends
   * with one value.
   */
  async function putHinted(via: string, key: string, value: string): Promise<void> {
    let last = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      const context = attempt === 1 ? undefined : (await get(via, key)).header('x-context');
      const headers: Record<string, string> = { 'content-type': 'text/plain', ...(context !== undefined && { 'x-context': context }) };
      const res = await http(url(via), kvPath(key, 'w=3'), { method: 'PUT', body: value, headers });
      if (res.status === 204) return;
      last = `${res.status} ${res.text()}`;
    }
    throw new Error(`PUT ${key} w=3 via ${via} was not acknowledged in 5 tries: ${last}`);
  }

  async function statuses(of: readonly string[]): Promise<NodeStatusJson[]> {
    return Promise.all(of.map((id) => statusOf(url(id))));
  }

  /** Until every node in `observers` judges `id` as one of `states`. */
  async function waitUntilSeen(id: string, states: readonly string[], observers: readonly string[]): Promise<void> {
    await waitFor(
      async () => {
        const seen = await Promise.all(observers.map(async (o) => (await statusOf(url(o))).members.find((m) => m.id === id)?.state));
        return seen.every((s) => s !== undefined && states.includes(s)) ? true : undefined;
      },
      { what: `${observers.join(',')} to see ${id} as ${states.join(' or ')}`, timeoutMs: 15_000 },
    );
  }

  /** Until no node holds a hint for anyone. */
  async function waitUntilNoHints(of: readonly string[] = ids): Promise<void> {
    await waitFor(
      async () => {
        const all = await statuses(of);
        if (all.every((st) => hintsTotal(st) === 0)) return true;
        throw new Error(`hintsPending: ${all.map((st) => `${st.id} ${JSON.stringify(st.hintsPending)}`).join(', ')}`);
      },
      { what: 'hintsPending to be empty on every node', timeoutMs: 20_000, intervalMs: 150 },
    );
  }

  /**
   * Until every node can reach all three primaries of a key (r=3&pr=3 is not 503).
   * Gossip can judge a restarted node alive while a peer's RPC link to it still
   * waits out its reconnect backoff (up to 1 s); tests that need every primary
   * wait for that first.
   */
  async function waitUntilFullyConnected(): Promise<void> {
    // One never-written key per fallback: every node is a primary of three of them.
    for (const key of ids.flatMap((fallback) => keysWithFallback(`reach-probe-${fallback}`, fallback, 1))) {
      for (const id of ids) {
        await waitFor(async () => (await get(id, key, 'r=3&pr=3')).status !== 503, { what: `${id} to reach every primary of ${key}` });
      }
    }
  }

  it('the ring the test computes is the one the nodes use', async () => {
    const s = await statusOf(url('n1'));
    for (const id of ids) {
      const owned = layout.ring.owners.filter((o) => o === id).length;
      expect(s.members.find((m) => m.id === id)?.['partitions']).toBe(owned);
    }
  });

  it("/status shows each member's state, last heard, incarnation, and hints pending per target", async () => {
    for (const s of await statuses(ids)) {
      expect(s.members.map((m) => m.id)).toEqual([...ids]);
      for (const m of s.members) expect(m.state).toBe('alive');
      expect(s.health.map((h) => h.id)).toEqual([...ids]);
      for (const h of s.health) {
        expect(h.health).toBe('alive');
        expect(Number.isInteger(h.incarnation)).toBe(true);
        expect(h.incarnation).toBeGreaterThan(0);
        expect(typeof h.lastHeardAgoMs).toBe('number');
        expect(h.lastHeardAgoMs).toBeGreaterThanOrEqual(0);
      }
      expect(s.hintsPending).toEqual({});
    }
  });

  it('kill → writes succeed (W=2) with hints on the fallback → restart → hints delivered → the restarted node holds its own copy', async () => {
    // Keys whose primaries are n1, n2, n3 and whose fallback is n4; n2 is the victim.
    const keys = keysWithFallback('handoff', 'n4', 12);
    const before = await statusOf(url('n2'));
    const incarnationBefore = before.health.find((h) => h.id === 'n2')?.incarnation ?? 0;

    // A key n2 already holds, deleted while n2 is down: the tombstone must reach n2 by handoff too.
    const [deleted] = keysWithFallback('handoff-deleted', 'n4', 1);
    if (deleted === undefined) throw new Error('no key');
    expect((await put('n1', deleted, 'to-be-deleted', 'w=3')).status).toBe(204);
    const keysBefore = (await statusOf(url('n2'))).keysStored;

    await cluster.kill('n2');
    const seen = await get('n3', deleted);
    expect((await http(url('n3'), kvPath(deleted), { method: 'DELETE', headers: { 'x-context': seen.header('x-context') ?? '' } })).status).toBe(204);
    // The first half is written at once, while the others still think n2 is alive
    // (its connection is refused; a stand-in takes the write); the second half once
    // every node sees n2 as down (the sloppy list names the fallback from the start).
    const half = keys.length / 2;
    for (const [i, key] of keys.slice(0, half).entries()) {
      const res = await put(i % 2 === 0 ? 'n1' : 'n3', key, `v-${key}`);
      expect(res.status, `${key}: ${res.text()}`).toBe(204);
    }
    await waitUntilSeen('n2', ['suspect', 'dead'], ['n1', 'n3', 'n4']);
    for (const [i, key] of keys.slice(half).entries()) {
      // n4 is not a primary of these keys: it coordinates through the sloppy list too.
      const res = await put(['n1', 'n3', 'n4'][i % 3] ?? 'n1', key, `v-${key}`);
      expect(res.status, `${key}: ${res.text()}`).toBe(204);
    }
    for (const key of keys) expect((await get('n4', key)).text()).toBe(`v-${key}`);

    // Every write left exactly one hint for n2, on n4 (the keys' only fallback).
    await waitFor(
      async () => {
        const all = await statuses(['n1', 'n3', 'n4']);
        if (all.reduce((sum, st) => sum + (st.hintsPending['n2'] ?? 0), 0) === keys.length + 1) return true;
        throw new Error(`hintsPending: ${all.map((st) => `${st.id} ${JSON.stringify(st.hintsPending)}`).join(', ')}`);
      },
      { what: `${keys.length + 1} hints for n2` },
    );
    expect((await statusOf(url('n4'))).hintsPending['n2']).toBe(keys.length + 1);
    // While n2 is down its health entry says so, and how long ago it was last heard from.
    const seenDown = (await statusOf(url('n1'))).health.find((h) => h.id === 'n2');
    expect(['suspect', 'dead']).toContain(seenDown?.health);
    expect(seenDown?.lastHeardAgoMs).toBeGreaterThan(0);

    await cluster.restart('n2');
    await waitUntilSeen('n2', ['alive'], ['n1', 'n3', 'n4']);
    await waitUntilNoHints();
    const after = await statusOf(url('n2'));
    // The same member came back, with a new incarnation, not as a second member.
    const n1View = await statusOf(url('n1'));
    expect(n1View.members.map((m) => m.id)).toEqual([...ids]);
    expect(n1View.health.find((h) => h.id === 'n2')?.incarnation).toBeGreaterThan(incarnationBefore);
    // Nothing has read these keys, so no read repair: only handoff can have given n2 its copies.
    expect(after.keysStored).toBe(keysBefore + keys.length);

    // n2's own copy, alone: with the other two primaries down, pr=1 can only be met by n2 itself.
    await cluster.kill('n1');
    await cluster.kill('n3');
    try {
      for (const key of keys) {
        const res = await get('n2', key, 'r=1&pr=1');
        expect(res.status, `${key}: ${res.text()}`).toBe(200);
        expect(res.text()).toBe(`v-${key}`);
      }
      const gone = await get('n2', deleted, 'r=1&pr=1');
      expect(gone.status, `the delete of ${deleted} reached n2: ${gone.text()}`).toBe(404);
    } finally {
      await cluster.restart('n1');
      await cluster.restart('n3');
    }
    await Promise.all(['n1', 'n3'].map((id) => waitUntilSeen(id, ['alive'], ids.filter((o) => o !== id))));
    await waitUntilFullyConnected();
    for (const key of keys) expect((await get('n1', key, 'r=3&pr=3')).text()).toBe(`v-${key}`);
    // The reads with n1 and n3 down also read-repaired n4 standing in for them, which left
    // hints for n1 and n3 there: wait until those are handed off too.
    await waitUntilNoHints();
  });

  it('hints survive a restart of the fallback that holds them', async () => {
    // Primaries n1, n2, n3; fallback n4; n3 is the victim.
    const keys = keysWithFallback('durable-hint', 'n4', 8);
    await waitUntilNoHints();
    const keysBefore = (await statusOf(url('n3'))).keysStored;
    await cluster.kill('n3');
    await waitUntilSeen('n3', ['suspect', 'dead'], ['n1', 'n2', 'n4']);
    for (const key of keys) await putHinted('n1', key, `h-${key}`);
    await waitFor(
      async () => {
        const all = await statuses(['n1', 'n2', 'n4']);
        if (all[2]?.hintsPending['n3'] === keys.length) return true;
        throw new Error(`hintsPending: ${all.map((st) => `${st.id} ${JSON.stringify(st.hintsPending)}`).join(', ')}`);
      },
      { what: `n4 to hold ${keys.length} hints for n3` },
    );

    // w=3 with n3 down can only be met with n4's ack: once acknowledged, the hint must be
    // on n4's disk, so n4 is killed right after the ack, without waiting for anything.
    const acked = keysWithFallback('acked-hint', 'n4', 3);
    for (const key of acked) await putHinted('n2', key, `h-${key}`);
    await cluster.kill('n4');
    await cluster.restart('n4');
    // Read at once: the hints came back from n4's LevelDB, not from anyone else.
    expect((await statusOf(url('n4'))).hintsPending['n3']).toBe(keys.length + acked.length);
    keys.push(...acked);

    await cluster.restart('n3');
    await waitUntilSeen('n3', ['alive'], ['n1', 'n2', 'n4']);
    await waitUntilNoHints();
    expect((await statusOf(url('n3'))).keysStored).toBe(keysBefore + keys.length);
    await waitUntilFullyConnected();
    for (const key of keys) {
      const res = await get('n3', key, 'r=3&pr=3');
      expect(res.status).toBe(200);
      expect(res.text()).toBe(`h-${key}`);
    }
  });

  it('pw and pr with one primary down: pw=3 and pr=3 fail with 503 before and after detection, pw=2 / pr=2 / W=2 still work', async () => {
    const key = layout.findKey('pw', (walk) => walk[3] === 'n4');
    await waitUntilFullyConnected();
    const expectPrimaryQuorumError = (res: RawResponse, what: string): void => {
      expect(res.status, `${what}: ${res.text()}`).toBe(503);
      const body = res.json() as Record<string, unknown>;
      expect(body).toMatchObject({ error: 'QUORUM_NOT_MET' });
      expect(typeof body['needed']).toBe('number');
      expect(typeof body['got']).toBe('number');
      expect(typeof body['message']).toBe('string');
    };
    expect((await put('n1', key, 'first', 'w=3')).status).toBe(204);
    await cluster.kill('n2');
    // At once, while the others still count n2 as up and try it.
    expectPrimaryQuorumError(await put('n1', key, 'pw3-early', 'pw=3'), 'early pw=3');
    expectPrimaryQuorumError(await get('n3', key, 'pr=3'), 'early pr=3');
    const pw2Early = await put('n3', key, 'pw2-early', 'pw=2');
    expect(pw2Early.status, pw2Early.text()).toBe(204);
    const pr2Early = await get('n1', key, 'pr=2');
    expect([200, 300], pr2Early.text()).toContain(pr2Early.status);

    // Once n2 is known to be down, the sloppy list names n4 as its stand-in from the start.
    await waitUntilSeen('n2', ['suspect', 'dead'], ['n1', 'n3', 'n4']);
    expectPrimaryQuorumError(await put('n1', key, 'pw3', 'pw=3'), 'pw=3');
    expectPrimaryQuorumError(await put('n4', key, 'pw3-via-fallback', 'pw=3'), 'pw=3 via the fallback');
    expectPrimaryQuorumError(await http(url('n3'), kvPath(key, 'pw=3'), { method: 'DELETE' }), 'DELETE pw=3');
    expectPrimaryQuorumError(await get('n3', key, 'r=3&pr=3'), 'r=3&pr=3');
    const pw2 = await put('n3', key, 'pw2', 'pw=2');
    expect(pw2.status, pw2.text()).toBe(204);
    const pr2 = await get('n1', key, 'pr=2');
    expect([200, 300], pr2.text()).toContain(pr2.status);
    const pw2ViaFallback = await put('n4', key, 'pw2-via-fallback', 'pw=2');
    expect(pw2ViaFallback.status, pw2ViaFallback.text()).toBe(204);
    expect((await put('n4', key, 'sloppy')).status).toBe(204);
    // r=3 without pr: the fallback's reply counts.
    expect([200, 300]).toContain((await get('n1', key, 'r=3')).status);
    for (const id of ['n1', 'n3', 'n4']) expect((await http(url(id), '/health')).status).toBe(200);

    await cluster.restart('n2');
    await waitUntilSeen('n2', ['alive'], ['n1', 'n3', 'n4']);
    await waitUntilNoHints();
  });
});

/**
 * The detection figures of issue 3 with default gossip settings (500 ms rounds):
 * a killed node is seen as suspect or dead by every other node within 5 s, and a
 * restarted one as alive within 5 s. The nodes are separate processes on a
 * possibly loaded 2-core machine, so the assertion allows 5 s plus a 2.5 s
 * margin; the measured times are printed so a regression shows before it fails.
 */
describe.skipIf(!serverBuilt)('failure detection with default settings (3 nodes)', () => {
  const requirementMs = 5000;
  const marginMs = 2500;
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;

  beforeAll(async () => {
    temp = await startTempCluster('detection', { nodes: 3, extraArgs: ['--log-level', 'warn'] });
    cluster = temp.cluster;
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  async function msUntilEveryoneSees(id: string, states: readonly string[], since: number): Promise<number> {
    const observers = cluster.urls().filter((_, i) => cluster.node(i).id !== id);
    await waitFor(
      async () => {
        const seen = await Promise.all(observers.map(async (o) => (await statusOf(o)).members.find((m) => m.id === id)?.state));
        return seen.every((s) => s !== undefined && states.includes(s)) ? true : undefined;
      },
      { what: `every node to see ${id} as ${states.join(' or ')}`, timeoutMs: requirementMs + marginMs, intervalMs: 50 },
    );
    return Date.now() - since;
  }

  it('a killed node is seen as suspect or dead by every other node within 5 s, and alive again within 5 s of its restart', async () => {
    // Let a few heartbeats arrive first, as in a cluster that has been running a while.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const killedAt = Date.now();
    await cluster.kill('n3');
    const detectedMs = await msUntilEveryoneSees('n3', ['suspect', 'dead'], killedAt);
    const restartedAt = Date.now();
    await cluster.restart('n3');
    const aliveMs = await msUntilEveryoneSees('n3', ['alive'], restartedAt);
    console.log(`default settings: kill seen after ${detectedMs} ms, restart seen after ${aliveMs} ms (requirement ${requirementMs} ms)`);
    expect(detectedMs).toBeLessThanOrEqual(requirementMs + marginMs);
    expect(aliveMs).toBeLessThanOrEqual(requirementMs + marginMs);
  });
});
