#!/usr/bin/env node
/**
 * The acceptance figures of issue 4 (Merkle anti-entropy), measured on a fresh
 * local cluster in a temporary directory (removed afterwards):
 *   (i)   one replica's data dir wiped: time until anti-entropy alone has
 *         refilled it, and keys/s;
 *   (ii)  1% of the keys diverged on one replica: bytes the exchanges move
 *         until it is repaired, against what a full copy moved in (i);
 *   (iii) nothing differs: bytes of one full round over all partitions.
 * Hints play no part: with 3 nodes and N=3 there is no fallback to keep one
 * (and hint delivery is held back for larger clusters), and nothing reads
 * while repairs run, so read repair cannot help either.
 */
import { rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { Pool } from 'undici';
import { aeBenchKey, keysReplicatedBy, pickEvenly } from './ae-bench-keys.js';
import { writeKeys } from './ae-bench-load.js';
import { aeFigures, aeReportJson, formatAeReport, type AeBenchMeasurements } from './ae-bench-report.js';
import { addCounters, closeStatusAgent, counterDelta, fetchSnapshot, repairNow, zeroCounters, type AeCounters, type NodeSnapshot } from './ae-bench-status.js';
import { LocalCluster } from './local-cluster.js';
import { intIn } from './int-arg.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

function percentIn(text: string): number {
  const v = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!(v > 0 && v <= 100)) throw new InvalidArgumentError('expected a percentage in (0, 100]');
  return v;
}

interface AeBenchFlags {
  readonly keys: number;
  readonly valueBytes: number;
  readonly nodes: number;
  readonly aeIntervalMs: number;
  readonly clients: number;
  readonly divergedPercent: number;
  readonly timeoutS: number;
  readonly json: boolean;
}

const program = new Command('scripts/ae-bench')
  .description(
    'Measures Merkle-tree anti-entropy on a fresh local cluster in a temporary directory (removed afterwards):\n' +
      '(i) a replica whose data dir is wiped, refilled by anti-entropy alone: time and keys/s;\n' +
      '(ii) a few keys diverged on one replica: bytes the exchanges move, against a full copy;\n' +
      '(iii) nothing differs: bytes of a full round over all partitions.\n' +
      'Progress goes to stderr, the figures to stdout.',
  )
  .option('--keys <n>', 'keys written before the measurements', intIn(1, 10_000_000), 100_000)
  .option('--value-bytes <n>', 'size of every value', intIn(1, 1024 * 1024), 100)
  .option('--nodes <n>', 'nodes in the cluster (N = min(3, nodes))', intIn(2, 32), 3)
  .option('--ae-interval-ms <ms>', "the nodes' --ae-interval-ms: pause between two exchanges", intIn(1, 60_000), 10)
  .option('--clients <n>', 'writes in flight while loading', intIn(1, 1000), 64)
  .option('--diverged-percent <p>', "share of the victim's keys overwritten while it is down, for (ii)", percentIn, 1)
  .option('--timeout-s <s>', 'give up when a repair takes longer than this', intIn(1, 86_400), 1800)
  .option('--json', 'print the result as JSON on stdout', false)
  .addHelpText('after', '\nExamples:\n  scripts/ae-bench\n  scripts/ae-bench --keys 10000 --ae-interval-ms 50 --json > ae.json\n')
  .exitOverride();

/** One progress line on stderr: rewritten in place on a terminal, at most one line every 2 s otherwise. */
class Progress {
  private lastPrinted = 0;
  line(text: string): void {
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${text.padEnd(100)}`);
      return;
    }
    const now = performance.now();
    if (now - this.lastPrinted < 2000) return;
    this.lastPrinted = now;
    process.stderr.write(`${text}\n`);
  }
  done(text: string): void {
    process.stderr.write(process.stderr.isTTY ? `\r${text.padEnd(100)}\n` : `${text}\n`);
    this.lastPrinted = 0;
  }
}

class Aborted extends Error {
  constructor() {
    super('interrupted');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => (ms / 1000).toFixed(1);

async function aeBench(flags: AeBenchFlags): Promise<number> {
  const n = Math.min(3, flags.nodes);
  let aborted = false;
  const onSignal = (): void => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = new Progress();
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-ae-bench-'));
  let cluster: LocalCluster | undefined;
  const pools: Pool[] = [];
  try {
    process.stderr.write(`starting ${flags.nodes} nodes in ${dir} …\n`);
    cluster = await LocalCluster.start({
      nodes: flags.nodes,
      dataDir: dir,
      n,
      r: Math.min(2, n),
      w: Math.min(2, n),
      // Hint delivery 10 min apart (the most the flag allows): only anti-entropy may repair (with 3 nodes there are no hints anyway).
      extraArgs: ['--log-level', 'warn', '--ae-interval-ms', String(flags.aeIntervalMs), '--handoff-interval-ms', '600000'],
      readyTimeoutMs: 120_000,
    });
    const c = cluster;
    const urls = c.urls();
    const url = (i: number): string => urls[i] ?? '';
    for (const u of urls) pools.push(new Pool(u, { connections: Math.ceil(flags.clients / urls.length) + 1, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 }));
    const victim = urls.length - 1;
    const victimId = c.node(victim).id;
    const others = urls.map((_, i) => i).filter((i) => i !== victim);
    const partitions = (await fetchSnapshot(url(0))).partitions;
    const checkAborted = (): void => {
      if (aborted) throw new Aborted();
    };

    /** Polls `fn` every 500 ms until it returns a value; shows `show(last)` meanwhile. */
    const until = async <T>(what: string, started: number, fn: () => Promise<T | undefined>, show: () => string): Promise<T> => {
      const deadline = performance.now() + flags.timeoutS * 1000;
      for (;;) {
        checkAborted();
        let got: T | undefined;
        try {
          got = await fn();
        } catch (err) {
          if (performance.now() > deadline) throw err;
        }
        if (got !== undefined) return got;
        if (performance.now() > deadline) throw new Error(`gave up after ${flags.timeoutS} s waiting for ${what} (${show()})`);
        progress.line(`${what}: ${show()}  ${secs(performance.now() - started)} s`);
        await sleep(500);
      }
    };
    const snapshots = (of: readonly number[]): Promise<NodeSnapshot[]> => Promise.all(of.map((i) => fetchSnapshot(url(i))));
    /** Counters of the survivors since `before`, plus the restarted victim's since its start. */
    const moved = (before: readonly NodeSnapshot[], after: readonly NodeSnapshot[], victimNow: NodeSnapshot): AeCounters =>
      addCounters([...after.map((a, j) => counterDelta(before[j]?.ae ?? zeroCounters, a.ae)), victimNow.ae]);

    // Load: every key on all N replicas.
    const contexts = new Array<string | undefined>(flags.keys);
    const all = Array.from({ length: flags.keys }, (_, i) => i);
    const load = await writeKeys({
      pools,
      indexes: all,
      value: new Uint8Array(flags.valueBytes).fill(0x61),
      w: n,
      clients: flags.clients,
      contexts,
      aborted: () => aborted,
      onTick: (done, ms) => progress.line(`load: ${done}/${flags.keys} keys written (W=${n})  ${((done * 1000) / Math.max(1, ms)).toFixed(0)} keys/s`),
    });
    checkAborted();
    progress.done(`load: ${load.written} keys written in ${secs(load.elapsedMs)} s`);

    const victimKeys = keysReplicatedBy(victimId, flags.keys, flags.nodes, n, partitions);
    const held = (await fetchSnapshot(url(victim))).keysStored;
    if (held !== victimKeys.length) {
      throw new Error(`${victimId} stores ${held} keys, but ${victimKeys.length} of the keys written should be on it: the ring is not the one expected`);
    }

    // (i) Wipe the victim's data dir; anti-entropy alone must refill it.
    const beforeWipe = await snapshots(others);
    await c.kill(victim);
    await rm(c.node(victim).dataDir, { recursive: true, force: true });
    process.stderr.write(`(i) ${victimId} killed and its data dir wiped; restarting it …\n`);
    const wipeStart = performance.now();
    await c.restart(victim);
    const readyMs = performance.now() - wipeStart;
    let lastWipe: NodeSnapshot | undefined;
    const wiped = await until(
      `(i) refilling ${victimId}`,
      wipeStart,
      async () => {
        lastWipe = await fetchSnapshot(url(victim));
        return lastWipe.keysStored === victimKeys.length && !lastWipe.recovering ? lastWipe : undefined;
      },
      () => (lastWipe === undefined ? 'starting' : `${lastWipe.keysStored}/${victimKeys.length} keys, recovering ${lastWipe.recovering ? `(${lastWipe.partitionsLeft} partitions left)` : 'no'}`),
    );
    const wipeMs = performance.now() - wipeStart;
    const victimAfterWipe = await fetchSnapshot(url(victim));
    const wipeCounters = moved(beforeWipe, await snapshots(others), victimAfterWipe);
    progress.done(`(i) ${victimId} holds its ${wiped.keysStored} keys again after ${secs(wipeMs)} s`);

    // (ii) Overwrite a few of the victim's keys while it is down, then let it come back.
    const diverged = pickEvenly(victimKeys, flags.divergedPercent / 100);
    await c.kill(victim);
    process.stderr.write(`(ii) ${victimId} killed; overwriting ${diverged.length} of its keys (W=${Math.max(1, n - 1)}) …\n`);
    await writeKeys({
      pools: others.map((i) => pools[i] as Pool),
      indexes: diverged,
      value: new Uint8Array(flags.valueBytes).fill(0x62),
      w: Math.max(1, n - 1),
      clients: flags.clients,
      contexts,
      aborted: () => aborted,
    });
    checkAborted();
    const beforeDiverge = await snapshots(others);
    const divergeStart = performance.now();
    await c.restart(victim);
    let lastDiv: NodeSnapshot | undefined;
    const repaired = await until(
      `(ii) repairing ${victimId}`,
      divergeStart,
      async () => {
        lastDiv = await fetchSnapshot(url(victim));
        return lastDiv.mergesChanged >= diverged.length ? lastDiv : undefined;
      },
      () => (lastDiv === undefined ? 'starting' : `${lastDiv.mergesChanged}/${diverged.length} keys repaired`),
    );
    const divergeMs = performance.now() - divergeStart;
    const divergeCounters = moved(beforeDiverge, await snapshots(others), await fetchSnapshot(url(victim)));
    progress.done(`(ii) ${victimId} repaired after ${secs(divergeMs)} s`);
    const keyBytes = victimKeys.reduce((a, i) => a + Buffer.byteLength(aeBenchKey(i)), 0);

    // (iii) Nothing differs now: one full round, every node over every partition it replicates.
    const summaries = [];
    for (const [i, u] of urls.entries()) {
      checkAborted();
      progress.line(`(iii) full repair round on ${c.node(i).id} …`);
      summaries.push(await repairNow(u));
    }
    progress.done(`(iii) full round done on ${urls.length} nodes`);

    const m: AeBenchMeasurements = {
      config: { nodes: flags.nodes, n, keys: flags.keys, valueBytes: flags.valueBytes, aeIntervalMs: flags.aeIntervalMs, partitions },
      load: { keys: load.written, elapsedMs: load.elapsedMs, retries: load.retries },
      wipe: {
        victim: victimId,
        keys: wiped.keysStored,
        readyMs,
        repairedMs: wipeMs,
        counters: wipeCounters,
        victimMerges: victimAfterWipe.merges,
        victimChanges: victimAfterWipe.mergesChanged,
      },
      diverged: {
        victim: victimId,
        keys: diverged.length,
        victimKeys: victimKeys.length,
        payloadBytes: keyBytes + victimKeys.length * flags.valueBytes,
        repairedMs: divergeMs,
        victimChanges: repaired.mergesChanged,
        counters: divergeCounters,
      },
      idle: { summaries },
    };
    const figures = aeFigures(m);
    process.stdout.write(flags.json ? aeReportJson(m, figures) : formatAeReport(m, figures));
    return 0;
  } catch (err) {
    if (err instanceof Aborted) {
      process.stderr.write('\nae-bench: interrupted\n');
      return 130;
    }
    throw err;
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await cluster?.stop();
    await closeStatusAgent();
    await rm(dir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

try {
  program.parse(process.argv);
  process.exitCode = await aeBench(program.opts<AeBenchFlags>());
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`ae-bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
