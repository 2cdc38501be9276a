/**
 * The counter acceptance run: many clients increment one counter by 1 through
 * random nodes while a node is killed with SIGKILL and restarted; then the
 * final count is checked against what the clients were told.
 *
 * Every increment ends in one of three ways: `ok` (200: counted), `failed` (a
 * definite refusal: the node answered 4xx, or no connection could be opened,
 * so nothing was sent) or `unknown` (a connection dropped, a timeout, a 503
 * after the request reached a coordinator: it may or may not have counted).
 * Refused connections are retried on another node — nothing was sent — so a
 * dead node costs no increment. The check is ok ≤ final ≤ ok + unknown.
 */
import { Agent, request } from 'undici';
import type { LocalCluster, NodeRef } from './local-cluster.js';

export interface CounterChaosOptions {
  readonly cluster: LocalCluster;
  readonly key: string;
  readonly clients: number;
  readonly incrementsPerClient: number;
  /** the node killed with SIGKILL and restarted (undefined: no fault) */
  readonly victim?: NodeRef;
  /** kill the victim after this many increments were answered in total */
  readonly killAfterIncrements: number;
  /** how long the victim stays down */
  readonly downMs: number;
  /** per-request client timeout */
  readonly timeoutMs: number;
  /** node URL choice: a small deterministic PRNG, so a run's routing can be repeated */
  readonly seed: number;
  /** how long to wait for the replicas to agree at the end */
  readonly settleTimeoutMs: number;
  /** the cluster's N: the final count is read from all N replicas */
  readonly n: number;
  readonly log?: (line: string) => void;
}

export interface CounterChaosResult {
  readonly attempted: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  /** retries after a refused connection (nothing sent) */
  readonly retriedRefused: number;
  /** the count every node reads with r = N once hints are delivered */
  readonly final: number;
  readonly exact: boolean;
  readonly withinBounds: boolean;
  readonly incrementMs: number;
  readonly settleMs: number;
  /** outcome reasons other than ok, e.g. "503 QUORUM_NOT_MET", "UND_ERR_SOCKET" */
  readonly reasons: Readonly<Record<string, number>>;
}

type Outcome = { kind: 'ok' } | { kind: 'failed' | 'unknown' | 'refused'; reason: string };

/** Errors that mean the request never left this process. */
const nothingSent = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runCounterChaos(o: CounterChaosOptions): Promise<CounterChaosResult> {
  const log = o.log ?? (() => undefined);
  const agent = new Agent({ connections: 4, pipelining: 1, keepAliveTimeout: 2000 });
  const urls = o.cluster.urls();
  const random = mulberry32(o.seed);
  const path = `/counter/${encodeURIComponent(o.key)}`;
  const reasons: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let unknown = 0;
  let retriedRefused = 0;
  let answered = 0;

  const post = async (url: string): Promise<Outcome> => {
    try {
      const res = await request(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"delta":1}',
        dispatcher: agent,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      const text = await res.body.text();
      if (res.statusCode === 200) return { kind: 'ok' };
      const code = (() => {
        try {
          return String((JSON.parse(text) as { error?: unknown }).error);
        } catch {
          return 'non-JSON';
        }
      })();
      // A 4xx is a refusal before anything was stored; a 503 may come after the coordinator stored it.
      return { kind: res.statusCode < 500 ? 'failed' : 'unknown', reason: `${res.statusCode} ${code}` };
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? (err as Error).name);
      return { kind: nothingSent.has(code) ? 'refused' : 'unknown', reason: code };
    }
  };

  const client = async (): Promise<void> => {
    for (let i = 0; i < o.incrementsPerClient; i++) {
      let outcome: Outcome;
      let tries = 0;
      for (;;) {
        outcome = await post(urls[Math.floor(random() * urls.length)] as string);
        if (outcome.kind !== 'refused' || ++tries > 50) break;
        retriedRefused++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      answered++;
      if (outcome.kind === 'ok') ok++;
      else {
        reasons[outcome.reason] = (reasons[outcome.reason] ?? 0) + 1;
        if (outcome.kind === 'unknown') unknown++;
        else failed++; // 'refused' 50 times in a row: never sent
      }
    }
  };

  const fault = async (): Promise<void> => {
    if (o.victim === undefined) return;
    const total = o.clients * o.incrementsPerClient;
    while (answered < Math.min(o.killAfterIncrements, total - 1)) await new Promise((resolve) => setTimeout(resolve, 5));
    log(`killing ${o.cluster.node(o.victim).id} (SIGKILL) after ${answered} increments`);
    await o.cluster.kill(o.victim, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, o.downMs));
    log(`restarting ${o.cluster.node(o.victim).id} after ${answered} increments`);
    await o.cluster.restart(o.victim);
    log(`${o.cluster.node(o.victim).id} is back after ${answered} increments`);
  };

  const started = Date.now();
  try {
    await Promise.all([fault(), ...Array.from({ length: o.clients }, client)]);
  } finally {
    await agent.close();
  }
  const incrementMs = Date.now() - started;
  log(`increments done in ${incrementMs} ms: ok ${ok}, failed ${failed}, unknown ${unknown}`);

  const settleStarted = Date.now();
  const final = await settledCount(urls, `${path}?r=${o.n}`, o.settleTimeoutMs, ok, ok + unknown, log);
  const attempted = o.clients * o.incrementsPerClient;
  return {
    attempted,
    ok,
    failed,
    unknown,
    retriedRefused,
    final,
    exact: final === ok && unknown === 0,
    withinBounds: ok <= final && final <= ok + unknown,
    incrementMs,
    settleMs: Date.now() - settleStarted,
    reasons,
  };
}

/**
 * The count once the replicas agree: every node reads the same value with
 * r = N and no node holds hints. Stops waiting early only when the count is
 * within bounds; otherwise waits the whole timeout (a late hint may still
 * bring the missing increments) and returns the last count seen.
 */
async function settledCount(urls: readonly string[], path: string, timeoutMs: number, low: number, high: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    try {
      const values = await Promise.all(urls.map((u) => readCount(u, path)));
      const hints = await Promise.all(urls.map(hintsPending));
      const agreed = values.every((v) => v === values[0]);
      last = values[0] ?? -1;
      if (agreed && hints.every((h) => h === 0) && last >= low && last <= high) return last;
      if (Date.now() >= deadline) {
        log(`replicas still disagree or out of bounds: counts ${values.join(', ')}, hints ${hints.join(', ')}`);
        return last;
      }
    } catch (err) {
      if (Date.now() >= deadline) {
        log(`could not read the count: ${(err as Error).message}`);
        return last;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function readCount(url: string, path: string): Promise<number> {
  const res = await request(`${url}${path}`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const body = (await res.body.json()) as { value?: unknown };
  if (res.statusCode !== 200 || typeof body.value !== 'number') throw new Error(`GET ${url}${path}: ${res.statusCode} ${JSON.stringify(body)}`);
  return body.value;
}

async function hintsPending(url: string): Promise<number> {
  const res = await request(`${url}/status`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const body = (await res.body.json()) as { hintsPending?: Record<string, number> };
  return Object.values(body.hintsPending ?? {}).reduce((a, b) => a + b, 0);
}
