#!/usr/bin/env node
/**
 * `pnpm sim` — runs many seeded simulations and reports violations.
 *   pnpm sim --seeds 10000 [--from 1] [--nodes 5] [--verbose]
 *   pnpm sim --seed 1234            replay one seed and print its history
 */
import { parseArgs } from 'node:util';
import { dotsToWire, type KvRecord } from '@ringkv/core';
import { runSimulation, simulationOptions, type SimulationResult } from './run-simulation.js';
import { allFaults, faultNames, faultsFromNames } from './faults.js';
import { defaultSimClusterOptions } from './sim-cluster.js';
import { defaultWorkload } from './workload.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: String(defaultSimClusterOptions.nodes) },
    quorum: { type: 'string', default: `${defaultSimClusterOptions.params.n},${defaultSimClusterOptions.params.r},${defaultSimClusterOptions.params.w}` },
    'duration-ms': { type: 'string', default: String(defaultWorkload.durationMs) },
    clients: { type: 'string', default: String(defaultWorkload.clients) },
    keys: { type: 'string', default: String(defaultWorkload.keys) },
    faults: { type: 'string', default: faultNames(allFaults).join(',') },
    dw: { type: 'string', default: '0' },
    counters: { type: 'string', default: '0' },
    ttl: { type: 'string', default: '0' },
    windows: { type: 'string', default: '0' },
    conditional: { type: 'string', default: '0' },
    lww: { type: 'string', default: '0' },
    'vary-quorums': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`usage: pnpm sim [--seeds COUNT] [--from SEED] [--nodes N] [--quorum N,R,W] [--duration-ms MS] [--clients C] [--keys K]
                [--faults crashes,machineCrashes,partitions,messageLoss,clockJumps,diskLoss,membership,diskFull,pauses,bridges,corruption,tableDamage]
                [--dw D] [--counters K] [--windows K] [--ttl SHARE] [--conditional SHARE] [--vary-quorums] [--lww K]
                | --seed SEED [--verbose]

Runs whole ringkv clusters in one process on simulated time, network and disks,
with random crashes, partitions, message loss/duplication and clock jumps, then
checks: no acknowledged write lost, no replaced write resurrected, replicas
converge, strict-quorum reads see earlier writes, no sibling explosion, every
hint delivered. Each seed replays exactly.

diskFull (not on by default) fills a node's disk for a while: its writes fail
(and keep failing, as LevelDB's do, until the node is restarted once there is
room again).

pauses (not on by default) stops a node process for 0.3-5 s, as SIGSTOP or a
long GC pause does: what falls due for it waits and runs, late, when it resumes.

bridges (not on by default) cuts two groups of nodes off from each other while
the nodes between them reach both (a non-transitive partition).

corruption (not on by default) flips one bit of a stored record or hint on a
node's disk, as bit rot does: the node must notice (checksums), never serve or
spread the damaged copy, and repair it from the other replicas. Every node is
scrubbed after healing, as its periodic scrub would.

tableDamage (not on by default) damages a LevelDB table block on a node's disk,
as LevelDB itself notices: reads of the keys in it and scans over it fail, and
after a while (a compaction read it) every write; the operator then stops the
node and runs repair-store, which drops the block's records, and the node
starts again with a new epoch, in recovery. Its writes meanwhile go to other
replicas.

machineCrashes (not on by default) makes half the crashes power losses that
keep only fsynced writes: meaningful with --dw (every write sent with ?dw=D).

--counters K adds K PN-counters: 30 % of operations then increment (by -3..5)
or read one, and the run also checks that no acknowledged increment is lost,
none counts twice, replicas converge and strict-quorum reads see earlier ones.

--quorum N,R,W runs the cluster with those replication and quorum sizes
(default 3,2,2); with R + W <= N the read checks are off, as reads may then
miss acknowledged writes.

--vary-quorums makes every operation send its own R or W (1..N); a read is
then asked to see an earlier write only when their quorums overlap (W + R > N).

--windows K adds K rate-limit windows (counters incremented with ?ttl, 300 ms
to 3 s), checked per window: the window left at the end holds every increment
acknowledged in it and no more than could have counted, replicas converge,
strict reads see every window an earlier acknowledged increment counted in
(unless a later window displaced it or it ended) and count those increments.

--conditional SHARE sends that share of the puts and deletes of keys a client
has read with If-Match (that read's ETag; If-None-Match: * when it found
nothing): one that passes must not have superseded a value its client had not
read that was still live (lost-update).

--lww K adds K keys under the last-writer-wins policy (lww-0, …), written,
read and deleted like the others and checked by LWW's rules: at the end the key
holds a version at least as new, by (timestamp, dot), as every acknowledged
write (or nothing, if a newer delete or expired TTL erased it); a strict read
returns one at least as new as every write it must see; one version at most.

--ttl SHARE sends that share (0..1) of the puts with ?ttl (50 ms to 2 s): such
a value may vanish once some node's clock passes its deadline, but what it
replaced must stay replaced, replicas must converge, and no read may return a
value its coordinator's clock says has expired.
`);
  process.exit(0);
}

const [n, r, w] = values.quorum.split(',').map(Number);
if (n === undefined || r === undefined || w === undefined || ![n, r, w].every((x) => Number.isInteger(x) && x >= 1) || r > n || w > n || Number(values.nodes) < n) {
  process.stderr.write(`pnpm sim: --quorum wants N,R,W with 1 <= R, W <= N <= --nodes (got ${values.quorum} with ${values.nodes} nodes)\n`);
  process.exit(2);
}
const cluster = { ...defaultSimClusterOptions, nodes: Number(values.nodes), params: { ...defaultSimClusterOptions.params, n, r, w } };
const dw = Number(values.dw);
const workload = {
  ...defaultWorkload,
  durationMs: Number(values['duration-ms']),
  clients: Number(values.clients),
  keys: Number(values.keys),
  ...(dw > 0 && { dw }),
  ...(Number(values.counters) > 0 && { counters: Number(values.counters) }),
  ...(Number(values.ttl) > 0 && { ttlRate: Number(values.ttl) }),
  ...(Number(values.windows) > 0 && { windows: Number(values.windows) }),
  ...(Number(values.conditional) > 0 && { conditionalRate: Number(values.conditional) }),
  ...(values['vary-quorums'] && { varyQuorums: true }),
  ...(Number(values.lww) > 0 && { lwwKeys: Number(values.lww) }),
};
const faults = faultsFromNames(values.faults.split(',').filter((f) => f !== ''));

async function one(seed: number): Promise<SimulationResult> {
  return runSimulation(simulationOptions(seed, { cluster, workload, faults }));
}

/** A final replica record in one line: its history and each version (value, or a tombstone, and deadline). */
function describeRecord(rec: KvRecord | undefined): string {
  if (rec === undefined) return 'nothing';
  const versions = rec.siblings.map(
    (s) => `${s.dot.actor}:${s.dot.counter}=${s.value === null ? '(deleted)' : Buffer.from(s.value).toString('latin1')}${s.expiresAt !== undefined ? ` expires ${s.expiresAt}` : ''}`,
  );
  return `history ${JSON.stringify(dotsToWire(rec.history))} versions [${versions.join(', ')}]`;
}

function ttlNote(o: SimulationResult['history']['ops'][number]): string {
  if (o.ttlMs === undefined) return '';
  return ` ttl=${o.ttlMs}${o.expiresAt !== undefined ? ` expires=${o.expiresAt}` : ''}`;
}

function replayCommand(seed: number): string {
  const extra = process.argv.slice(2).filter((a, i, all) => !['--seeds', '--from', '--seed'].includes(a) && !['--seeds', '--from', '--seed'].includes(all[i - 1] ?? ''));
  return ['pnpm sim --seed', String(seed), ...extra].join(' ');
}

if (values.seed !== undefined) {
  const seed = Number(values.seed);
  const r = await one(seed);
  for (const f of r.faultLog) process.stdout.write(`fault  ${String(f.at).padStart(6)} ms  ${f.what}\n`);
  if (values.verbose) {
    for (const f of r.finals) {
      process.stdout.write(`replicas ${f.key}: ${[...f.replicas.keys()].join(',')} (ring at the end)\n`);
      for (const [id, rec] of f.replicas) process.stdout.write(`  ${id}: ${describeRecord(rec)}\n`);
    }
    for (const o of r.history.ops) {
      process.stdout.write(
        `op ${o.id} c${o.client} ${o.kind} ${o.key} ${o.value ?? o.delta ?? ''}${ttlNote(o)}${o.condition !== undefined ? ` ${o.condition}` : ''}${o.quorum !== undefined ? ` ${o.kind === 'get' || o.kind === 'cget' ? 'r' : 'w'}=${o.quorum}` : ''} via ${o.node} @${o.invokedAt} → ${o.outcome}${o.readValues ? " read=[" + o.readValues.join(",") + "]" : ""}${o.readTotals ? ` read p=${o.readTotals.p} n=${o.readTotals.n}` : ''}${o.sloppy ? " sloppy" : ""} epoch=${o.ringEpoch}${o.error ? ` (${o.error})` : ''}\n`,
      );
    }
  }
  process.stdout.write(`repair: ${JSON.stringify(r.repair)}\n`);
  process.stdout.write(`seed ${seed}: ${r.ops.total} ops (${r.ops.ok} ok, ${r.ops.fail} failed, ${r.ops.info} unknown), ${r.events} events, ${(r.simulatedMs / 1000).toFixed(1)} s simulated\n`);
  for (const v of r.violations) process.stdout.write(`VIOLATION ${v.property} ${v.key}: ${v.detail}\n`);
  process.exit(r.violations.length > 0 ? 1 : 0);
}

const from = Number(values.from);
const count = Number(values.seeds);
const started = Date.now();
let simulatedMs = 0;
let ops = 0;
const repair = { aeKeysRepaired: 0, tombstonesReaped: 0, hintsDelivered: 0, readRepairs: 0, expiredPurged: 0, corruptFound: 0, corruptRepaired: 0, actorsRenewed: 0 };
const failing: { seed: number; first: string; count: number }[] = [];
const barWidth = 30;
for (let i = 0; i < count; i++) {
  const seed = from + i;
  const r = await one(seed);
  simulatedMs += r.simulatedMs;
  ops += r.ops.total;
  for (const k of Object.keys(repair) as (keyof typeof repair)[]) repair[k] += r.repair[k];
  if (r.violations.length > 0) {
    const v = r.violations[0];
    failing.push({ seed, first: v ? `${v.property} ${v.key}: ${v.detail}` : '', count: r.violations.length });
    // Say it at once: a long search may be stopped before its summary.
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}seed ${seed} FAILED (${r.violations.length} violations) — replay: ${replayCommand(seed)}\n`);
  }
  if (process.stderr.isTTY || i % 50 === 49 || i === count - 1) {
    const done = (i + 1) / count;
    const bar = '#'.repeat(Math.round(done * barWidth)).padEnd(barWidth, '.');
    const eta = ((Date.now() - started) / (i + 1)) * (count - i - 1);
    process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}[${bar}] ${i + 1}/${count} runs, ${failing.length} failing, eta ${Math.round(eta / 1000)} s${process.stderr.isTTY ? '' : '\n'}`);
  }
}
if (process.stderr.isTTY) process.stderr.write('\n');
process.stdout.write(
  `${count} runs (seeds ${from}..${from + count - 1}), ${cluster.nodes} nodes: ${failing.length} with violations; ` +
    `${ops} client ops, ${(simulatedMs / 3_600_000).toFixed(2)} simulated hours in ${((Date.now() - started) / 1000).toFixed(0)} s\n` +
    `repair work seen: ${repair.readRepairs} read repairs, ${repair.hintsDelivered} hints delivered, ` +
    `${repair.aeKeysRepaired} keys repaired by anti-entropy, ${repair.tombstonesReaped} tombstones collected` +
    `${repair.expiredPurged > 0 ? `, ${repair.expiredPurged} expired records purged` : ''}` +
    `${repair.corruptFound > 0 ? `, ${repair.corruptFound} corrupt copies found (${repair.corruptRepaired} keys repaired, ${repair.actorsRenewed} actors renewed)` : ''}\n`,
);
for (const f of failing) process.stdout.write(`seed ${f.seed}: ${f.count} violations, first: ${f.first}\n  replay: ${replayCommand(f.seed)}\n`);
process.exit(failing.length > 0 ? 1 : 0);
