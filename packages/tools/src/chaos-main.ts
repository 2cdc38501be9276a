#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommanderError } from 'commander';
import { checkHistory } from './chaos-checker.js';
import { ClockSkewer } from './chaos-clock.js';
import { FaultLoop } from './chaos-faults.js';
import { finalReads, waitForHintsDrained } from './chaos-heal.js';
import { ClusterMonitor } from './chaos-monitor.js';
import { HistoryRecorder, NEMESIS, isWorkloadClient, readHistoryFile, type HistoryEvent } from './chaos-history.js';
import { NodePools } from './chaos-http.js';
import { NetworkDegrader } from './chaos-netem.js';
import { IptablesUnavailableError, NetworkCutter } from './chaos-network.js';
import { CorruptionTally, readCorruptionCounters } from './chaos-corruption-counters.js';
import { chaosConfig, chaosProgram, usesClockSkew, usesCorrupt, usesDegrade, usesNetworkFaults, type ChaosConfig } from './chaos-options.js';
import { ChaosRandom, randomSeed } from './chaos-random.js';
import { chaosReportJson, formatChaosReport, judge, type ChaosReport, type CorruptionReport, type HealResult } from './chaos-report.js';
import { scrubAll, waitForRepairs } from './chaos-scrub.js';
import { faultWindows, requestStats } from './chaos-stats.js';
import { Workload, ownKey, sharedKey } from './chaos-workload.js';
import { LocalCluster, nodeHost } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

const say = (line: string): void => {
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
};

function print(report: ChaosReport, json: boolean): void {
  process.stdout.write(json ? chaosReportJson(report) : formatChaosReport(report));
}

/** --check: judge a recorded history without a cluster. */
async function checkOnly(config: ChaosConfig, file: string): Promise<number> {
  const events = await readHistoryFile(file);
  const check = checkHistory(events);
  const requests = requestStats(events);
  const failures = judge(config, check, requests, undefined);
  print(
    {
      config,
      seed: undefined,
      heal: undefined,
      requests,
      check,
      faults: events.filter((e) => e.client === NEMESIS),
      failures,
      passed: failures.length === 0,
      historyFile: resolve(file),
      keptDir: undefined,
    },
    config.json,
  );
  return failures.length === 0 ? 0 : 1;
}

async function run(config: ChaosConfig): Promise<number> {
  const seed = config.seed ?? randomSeed();
  const random = new ChaosRandom(seed);
  let aborted = false;
  let wakeOnAbort: (() => void) | undefined;
  // Our own handler keeps Ctrl-C from killing us before paused nodes are resumed and the directory is removed.
  const onSignal = (): void => {
    aborted = true;
    wakeOnAbort?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-chaos-'));
  const historyFile = resolve(config.history ?? join(dir, 'history.jsonl'));
  let cluster: LocalCluster | undefined;
  let pools: NodePools | undefined;
  let faults: FaultLoop | undefined;
  let monitor: ClusterMonitor | undefined;
  let recorder: HistoryRecorder | undefined;
  let network: NetworkCutter | undefined;
  let degrader: NetworkDegrader | undefined;
  let keep = config.keep;
  // Forked in this order whatever the faults, so one seed keeps one plan.
  const faultRandom = random.fork();
  const workloadRandom = random.fork();
  const clockRandom = random.fork();
  try {
    const cutsNetwork = usesNetworkFaults(config);
    const degrades = usesDegrade(config);
    const hosts = Array.from({ length: config.nodes }, (_, i) => nodeHost(i + 1, true));
    if (cutsNetwork) {
      // Checked before any node starts: without iptables the run cannot do what was asked.
      network = new NetworkCutter(hosts);
      await network.setUp();
    }
    if (degrades) {
      degrader = new NetworkDegrader(hosts);
      const mode = await degrader.setUp();
      if (mode.kind === 'netem') say('degrade: tc netem on lo (prio root qdisc, u32 filters on the degraded nodes\' addresses)');
      else if (mode.kind === 'fallback') {
        const what = [mode.shaped ? 'a rate-limited link with a bounded queue (tc htb + bfifo)' : '', mode.loss ? 'random packet loss (iptables statistic)' : ''].filter((x) => x !== '');
        say(`degrade: tc netem is not usable here (${mode.why}); falling back to ${what.join(' and ')}, without duplication or reordering`);
      } else say(`degrade: SKIPPED, neither tc netem nor iptables can be used here (${mode.why})`);
    }
    let clocks: ClockSkewer | undefined;
    if (usesClockSkew(config)) {
      const clockDir = join(dir, 'clocks');
      await mkdir(clockDir, { recursive: true });
      clocks = new ClockSkewer(clockDir, Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`), clockRandom, config.clockSkew * 1000);
      await clocks.setUp();
      say(`clock skews at start: ${Object.entries(clocks.offsets()).map(([id, ms]) => `${id} ${ms >= 0 ? '+' : ''}${ms} ms`).join(', ')}`);
    }
    const policyArgs = config.policy === 'lww' ? lwwNodeArgs() : [];
    const perNodeHosts = cutsNetwork || degrades;
    say(`seed ${seed}; starting ${config.nodes} nodes in ${dir}${perNodeHosts ? ' (each on its own address 127.0.0.11…)' : ''} …`);
    const skew = clocks;
    cluster = await LocalCluster.start({
      hostPerNode: perNodeHosts,
      nodes: config.nodes,
      dataDir: dir,
      n: config.n,
      r: config.r,
      w: config.w,
      extraArgs: ['--log-level', 'warn', ...policyArgs, ...config.nodeArgs],
      ...(skew !== undefined && { perNodeArgs: (node) => ['--clock-offset-file', skew.fileOf(node.id)] }),
    });
    const nodeIds = cluster.urls().map((_, i) => cluster?.node(i).id ?? `n${i + 1}`);
    const rec = new HistoryRecorder(historyFile);
    recorder = rec;
    // The nodes' counts of damaged copies end with each process: read before each kill, summed.
    const tally = usesCorrupt(config) ? new CorruptionTally() : undefined;
    const running = cluster;
    pools = new NodePools(cluster.urls(), config.clients + 2, config.timeout * 1000);
    faults = new FaultLoop({
      cluster,
      recorder: rec,
      random: faultRandom,
      kinds: config.faults,
      everyMs: config.killEvery * 1000,
      downForMs: config.downFor * 1000,
      log: say,
      ...(network === undefined ? {} : { network }),
      ...(degrader === undefined ? {} : { degrader }),
      ...(clocks === undefined ? {} : { clocks }),
      ...(tally === undefined
        ? {}
        : { beforeKill: async (i: number) => tally.add(running.node(i).id, await readCorruptionCounters(running.node(i).httpUrl)) }),
    });
    const f = faults;
    const workload = new Workload({
      clients: config.clients,
      keysShared: config.keysShared,
      keysOwn: config.keysOwn,
      nodeIds,
      liveNodes: () => f.liveNodes(),
      pools,
      recorder: rec,
      random: workloadRandom,
      findableValues: tally !== undefined,
    });
    const durationMs = config.duration * 1000;
    say(`running the workload for ${config.duration} s; history: ${historyFile}`);
    const urls = cluster.urls();
    monitor = new ClusterMonitor(
      () => f.liveNodes().map((i) => ({ id: nodeIds[i] ?? '', url: urls[i] ?? '' })),
      () => rec.elapsedMs(),
    );
    workload.start();
    monitor.start();
    if (config.killEvery > 0) faults.start(durationMs);
    const ticker = setInterval(() => {
      const t = rec.elapsedMs() / 1000;
      const c = workload.counters;
      const down = f.describeDown();
      const line = `${Math.min(config.duration, Math.floor(t))}/${config.duration} s  ${c.sent} requests  ok ${c.ok}  failed ${c.fail}  unknown ${c.info}${down === '' ? '' : `  down: ${down}`}`;
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
      else if (Math.floor(t) % 10 === 0) process.stderr.write(`${line}\n`);
    }, 1000);
    let durationTimer: NodeJS.Timeout | undefined;
    await new Promise<void>((wake) => {
      wakeOnAbort = wake;
      durationTimer = setTimeout(wake, durationMs);
      if (aborted) wake();
    });
    // After Ctrl-C the rest of the duration must not keep the process alive.
    clearTimeout(durationTimer);
    clearInterval(ticker);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    say(aborted ? 'interrupted: stopping …' : 'duration reached: stopping the workload and the faults, bringing every node back …');
    const failures: string[] = [];
    const [, back] = await Promise.allSettled([workload.stop(), f.stop()]);
    if (back.status === 'rejected') failures.push(back.reason instanceof Error ? back.reason.message : String(back.reason));
    if (aborted) return 130;

    const healStartedAt = rec.elapsedMs();
    say(`waiting for hints to drain (at most ${config.healTimeout} s) …`);
    const drain = await waitForHintsDrained(
      nodeIds.map((id, i) => ({ id, url: urls[i] ?? '' })),
      config.healTimeout * 1000,
    );
    monitor.stop();
    const spans = faultWindows(rec.events).map((w) => ({ node: w.node, downAt: w.from, backAt: w.to }));
    const heal: HealResult = {
      drain,
      startedAt: healStartedAt,
      lastRecoveryAt: faults.lastRecoveryAt,
      recoveries: monitor.recoveries(spans),
      detections: monitor.detections(spans),
    };
    let corruption: CorruptionReport | undefined;
    if (tally !== undefined) {
      const nodes = nodeIds.map((id, i) => ({ id, url: urls[i] ?? '' }));
      say('scrubbing every node (POST /admin/scrub) …');
      const scrub = await scrubAll(nodes);
      const repairs = await waitForRepairs(nodes, config.healTimeout * 1000);
      for (const n of nodes) tally.add(n.id, repairs.counters[n.id]);
      corruption = { found: tally.total(), byNode: tally.byNode(), unread: tally.unread, scrub, behind: repairs.behind };
    }
    const keys = [...new Set(rec.events.filter((e) => isWorkloadClient(e.client) && e.key !== undefined).map((e) => e.key ?? ''))].sort();
    say(`reading ${keys.length} keys with R=${config.n}, twice …`);
    await finalReads({ pools, nodeIds, keys, r: config.n, recorder: rec });
    await rec.close();

    const events: readonly HistoryEvent[] = rec.events;
    const check = checkHistory(events);
    const requests = requestStats(events);
    failures.push(...judge(config, check, requests, heal));
    const passed = failures.length === 0;
    if (!passed) keep = true;
    print(
      {
        config,
        seed,
        heal,
        requests,
        check,
        faults: events.filter((e) => e.client === NEMESIS),
        ...(corruption === undefined ? {} : { corruption }),
        failures,
        passed,
        historyFile: keep || config.history !== undefined ? historyFile : undefined,
        keptDir: keep ? dir : undefined,
      },
      config.json,
    );
    return passed ? 0 : 1;
  } finally {
    monitor?.stop();
    // A paused node must not be left stopped, whatever happened above.
    if (faults !== undefined) await faults.stop().catch(() => undefined);
    // No DROP rule may outlive the run.
    await network?.tearDown();
    // Nor any netem qdisc or loss rule.
    await degrader?.tearDown();
    await pools?.close();
    await recorder?.close().catch(() => undefined);
    await cluster?.stop();
    if (!keep) await rm(dir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/**
 * `--policy lww`: every workload key last-writer-wins. The node refuses an
 * empty --lww-prefix (it would turn every key LWW by accident), so the
 * workload's two key shapes are named: `shared-<i>` and `c<client>-k<i>`.
 * Fails early, saying so, when the node does not have the flag.
 */
function lwwNodeArgs(): string[] {
  const help = execFileSync(process.execPath, [cliEntry(), 'node', '--help'], { encoding: 'utf8' });
  if (!help.includes('--lww-prefix')) throw new ChaosSetupError('--policy lww needs the node flag --lww-prefix, which this build of ringkv node does not have');
  const prefixes = ['shared-', 'c'];
  // Guard against the workload's key shapes changing under us.
  if (!prefixes.some((p) => sharedKey(0).startsWith(p)) || !prefixes.some((p) => ownKey(0, 0).startsWith(p))) throw new Error('the LWW prefixes no longer cover the workload keys');
  return prefixes.flatMap((p) => ['--lww-prefix', p]);
}

class ChaosSetupError extends Error {}

async function main(): Promise<number> {
  const program = chaosProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const config = chaosConfig(program.opts(), program.args);
  if (typeof config === 'string') {
    process.stderr.write(`error: ${config}\n`);
    return 2;
  }
  if (config.check !== undefined) return checkOnly(config, config.check);
  try {
    return await run(config);
  } catch (err) {
    if (!(err instanceof IptablesUnavailableError) && !(err instanceof ChaosSetupError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
