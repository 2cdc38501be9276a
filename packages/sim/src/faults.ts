import { isCounterKey } from '@ringkv/core';
import { dataRange, hintRange, parseDataKey, parseHintKey } from '@ringkv/storage';
import type { Prng } from './prng.js';
import type { SimCluster, SimMachine } from './sim-cluster.js';
import { calmNetwork } from './sim-network.js';
import { damageTable, repairTable } from './table-damage.js';

export interface FaultOptions {
  readonly crashes: boolean;
  /** machine crashes lose unsynced writes: only meaningful with syncWrites or writes with dw */
  readonly machineCrashes: boolean;
  readonly partitions: boolean;
  readonly messageLoss: boolean;
  readonly clockJumps: boolean;
  /** at most once per run, a node comes back with an empty disk under its old identity */
  readonly diskLoss: boolean;
  /** nodes join and leave the ring (with ownership handoff) */
  readonly membership: boolean;
  /** a node's disk fills up for a while: every write it tries fails, reads still work (off by default) */
  readonly diskFull?: boolean;
  /**
   * a node process stops for a while (SIGSTOP, a long GC pause, a stuck VM)
   * and then goes on where it was, its timers late (off by default)
   */
  readonly pauses?: boolean;
  /**
   * non-transitive partitions: two sides cut off from each other while the
   * nodes between them reach both (off by default)
   */
  readonly bridges?: boolean;
  /**
   * one bit of a stored record (or hint) flips on a node's disk — bit rot, a
   * torn or misdirected write — which its checksum must catch (off by default)
   */
  readonly corruption?: boolean;
  /**
   * a table block LevelDB itself finds damaged on a node's disk: reads in it
   * and scans over it fail, and after a while (a compaction read it) every
   * write; the operator then stops the node and runs repair-store, which
   * drops the block's records (off by default; table-damage.ts)
   */
  readonly tableDamage?: boolean;
  /** mean simulated ms between two faults */
  readonly meanGapMs: number;
}

export const allFaults: FaultOptions = {
  crashes: true,
  machineCrashes: false,
  partitions: true,
  messageLoss: true,
  clockJumps: true,
  diskLoss: true,
  membership: true,
  meanGapMs: 1500,
};

export interface FaultLog {
  readonly at: number;
  readonly what: string;
  /** the key whose stored copy a corruption fault damaged, or a damaged table block made unreadable (a counter by its name) */
  readonly key?: string;
}

type FaultKind = 'crash' | 'partition' | 'loss' | 'clock' | 'join' | 'leave' | 'diskFull' | 'pause' | 'bridge' | 'corrupt' | 'tableDamage';

/**
 * Schedules random faults over `durationMs`, each undone after a while:
 * crashed nodes restart, partitions heal, message loss stops. What remains
 * broken at the end is healed by `healAll`.
 */
export function scheduleFaults(cluster: SimCluster, prng: Prng, durationMs: number, opts: FaultOptions, log: FaultLog[]): void {
  const { scheduler, network } = cluster;
  const kinds: FaultKind[] = [];
  if (opts.crashes) kinds.push('crash');
  if (opts.partitions) kinds.push('partition');
  if (opts.messageLoss) kinds.push('loss');
  if (opts.clockJumps) kinds.push('clock');
  if (opts.membership) kinds.push('join', 'leave');
  if (opts.diskFull === true) kinds.push('diskFull');
  if (opts.pauses === true) kinds.push('pause');
  if (opts.bridges === true) kinds.push('bridge');
  if (opts.corruption === true) kinds.push('corrupt');
  if (opts.tableDamage === true) kinds.push('tableDamage');
  if (kinds.length === 0) return;
  const endAt = scheduler.now + durationMs;
  const note = (what: string, key?: string): void => void log.push({ at: scheduler.elapsedMs, what, ...(key === undefined ? {} : { key }) });
  const shuffledAddresses = (): string[] => cluster.machines.map((m) => m.address).sort(() => prng.next() - 0.5);
  const names = (group: readonly string[]): string => group.map((a) => a.split(':')[0]).join(',');
  const healAfter = (ms: number): void =>
    void scheduler.schedule(ms, () => {
      network.heal();
      note('heal');
    });
  let diskLost = false;

  const next = (): void => {
    if (scheduler.now >= endAt) return;
    const kind = prng.pick(kinds);
    const undoAfter = prng.between(300, 5000);
    switch (kind) {
      case 'crash': {
        const live = cluster.liveNodes();
        if (live.length === 0) break;
        const m = prng.pick(live);
        const wipe = opts.diskLoss && !diskLost && prng.chance(0.1);
        const machine = !wipe && opts.machineCrashes && prng.chance(0.5);
        const kind = wipe ? 'disk-lost' : machine ? 'machine' : 'process';
        diskLost ||= wipe;
        cluster.crash(m.id, kind);
        note(`${kind} crash ${m.id}`);
        scheduler.schedule(undoAfter, () => {
          note(`restart ${m.id}`);
          void cluster.restart(m.id);
        });
        break;
      }
      case 'partition': {
        const shuffled = shuffledAddresses();
        const cut = prng.between(1, shuffled.length - 1);
        const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
        network.partition(groups);
        note(`partition ${groups.map(names).join(' | ')}`);
        healAfter(undoAfter);
        break;
      }
      case 'bridge': {
        // at least one node on each side and one in the middle, which is in neither group
        if (cluster.machines.length < 3) break;
        const shuffled = shuffledAddresses();
        const bridgeCount = prng.between(1, shuffled.length - 2);
        const cut = prng.between(1, shuffled.length - bridgeCount - 1);
        const left = shuffled.slice(0, cut);
        const right = shuffled.slice(cut, shuffled.length - bridgeCount);
        network.partition([left, right]);
        note(`bridge partition ${names(left)} | ${names(right)}, bridged by ${names(shuffled.slice(shuffled.length - bridgeCount))}`);
        healAfter(undoAfter);
        break;
      }
      case 'loss': {
        network.faults = { ...calmNetwork, dropRate: prng.between(1, 30) / 100, duplicateRate: prng.between(0, 10) / 100, latencyMaxMs: prng.between(5, 200) };
        note(`lossy network drop=${network.faults.dropRate} dup=${network.faults.duplicateRate}`);
        scheduler.schedule(undoAfter, () => {
          network.faults = { ...calmNetwork };
          note('calm network');
        });
        break;
      }
      case 'join': {
        if (cluster.machines.length >= cluster.options.nodes + 2) break;
        void cluster.addMachine().then(async (m) => {
          note(`start ${m.id}`);
          await new Promise<void>((r) => void scheduler.schedule(cluster.options.gossipIntervalMs * 10, r));
          note(`${(await cluster.changeRing('join', m.id)) ? 'commit' : 'refused'}: ${m.id} joins`);
        });
        break;
      }
      case 'leave': {
        const ring = cluster.liveNodes()[0]?.node?.view.ringState.members ?? [];
        if (ring.length <= cluster.options.params.n + 1) break;
        const who = prng.pick(ring).id;
        void cluster.changeRing('leave', who).then((ok) => note(`${ok ? 'commit' : 'refused'}: ${who} leaves`));
        break;
      }
      case 'diskFull': {
        const m = prng.pick(cluster.machines);
        m.diskFull = true;
        note(`disk of ${m.id} full`);
        scheduler.schedule(undoAfter, () => {
          if (m.diskFull !== true) return; // healed already
          m.diskFull = false;
          // LevelDB refuses writes until reopened once one failed: the operator frees space and restarts the node.
          note(`disk of ${m.id} has room again${m.node === undefined ? '' : ', node restarted'}`);
          if (m.node !== undefined) void cluster.stop(m.id).then(() => cluster.restart(m.id));
        });
        break;
      }
      case 'pause': {
        const live = cluster.liveNodes().filter((m) => !m.proc.paused);
        if (live.length === 0) break;
        const m = prng.pick(live);
        const proc = m.proc;
        proc.pause();
        note(`pause ${m.id}`);
        scheduler.schedule(undoAfter, () => {
          if (!proc.alive || !proc.paused) return; // crashed meanwhile, or healed
          proc.resume();
          note(`resume ${m.id}`);
        });
        break;
      }
      case 'corrupt': {
        const m = prng.pick(cluster.machines);
        const what = prng.chance(0.8) ? 'record' : 'hint';
        const key = m.memory.damage(what === 'record' ? dataRange() : hintRange(), (n) => prng.int(n));
        if (key === undefined) break;
        const name = keyName((what === 'record' ? parseDataKey(key) : parseHintKey(key)).key);
        note(`corrupt ${what} of ${name} on ${m.id}`, name);
        break;
      }
      case 'tableDamage': {
        const m = prng.pick(cluster.machines);
        if (m.tableDamage !== undefined) break;
        // drawn now, so the run does not depend on when the disk scan below completes
        const picks = [prng.next(), prng.next()];
        const choose = (n: number): number => Math.floor((picks.shift() ?? 0) * n);
        const stopAfter = prng.between(0, undoAfter);
        void damageTable(m.memory, choose).then((d) => {
          if (d === undefined || m.tableDamage !== undefined) return;
          m.tableDamage = d;
          const names = [...d.records.values()].map((r) => keyName(parseDataKey(r.key).key));
          note(`damaged table block on ${m.id}: ${names.join(', ')} (LevelDB reads fail there)`);
          // each record in the block is a copy lost for the checker, from now on (unreadable until repaired or dropped)
          for (const name of names) note(`  copy of ${name} on ${m.id} unreadable`, name);
          scheduler.schedule(stopAfter, () => {
            if (m.tableDamage !== d) return;
            d.writesStopped = true;
            note(`LevelDB on ${m.id} stops taking writes (a compaction read the block)`);
          });
          scheduler.schedule(undoAfter, () => void repairMachine(cluster, m, note));
        });
        break;
      }
      case 'clock': {
        const m = prng.pick(cluster.machines);
        m.proc.jumpClock(prng.between(-60_000, 60_000));
        note(`clock of ${m.id} jumps to offset ${m.proc.offsetMs} ms`);
        break;
      }
    }
    scheduler.schedule(prng.between(opts.meanGapMs / 2, opts.meanGapMs * 1.5), next);
  };
  scheduler.schedule(prng.between(0, opts.meanGapMs), next);
}

/** A key's name in fault notes and the checker's lists (a counter by its name). */
function keyName(stored: Uint8Array): string {
  return new TextDecoder().decode(isCounterKey(stored) ? stored.subarray(1) : stored);
}

/**
 * The operator's answer to a table block LevelDB found damaged: stop the node,
 * `ringkv repair-store` (the block's records whose newest version it held are
 * dropped), start it again (a new epoch, in recovery).
 */
async function repairMachine(cluster: SimCluster, m: SimMachine, note: (what: string, key?: string) => void): Promise<void> {
  const d = m.tableDamage;
  if (d === undefined) return;
  await cluster.stop(m.id);
  if (m.tableDamage !== d) return;
  const dropped = await repairTable(m.memory, d);
  m.tableDamage = undefined;
  // the dropped copies were counted lost when the block was damaged
  note(`repair-store on ${m.id}: dropped ${dropped.map((key) => keyName(parseDataKey(key).key)).join(', ') || 'nothing'}; node restarted`);
  await cluster.restart(m.id);
}

/** Ends every fault: heals the network, repairs damaged tables and restarts every dead node. */
export function healAll(cluster: SimCluster, log: FaultLog[] = []): void {
  const note = (what: string, key?: string): void => void log.push({ at: cluster.scheduler.elapsedMs, what, ...(key === undefined ? {} : { key }) });
  for (const m of cluster.machines) if (m.tableDamage !== undefined) void repairMachine(cluster, m, note);
  cluster.network.heal();
  cluster.network.faults = { ...calmNetwork };
  for (const m of cluster.machines) m.proc.resume();
  for (const m of cluster.machines) {
    if (m.diskFull !== true) continue;
    m.diskFull = false;
    if (m.node !== undefined) void cluster.stop(m.id).then(() => cluster.restart(m.id));
  }
  for (const m of cluster.machines) if (m.node === undefined) void cluster.restart(m.id);
}

const faultKeys = ['crashes', 'machineCrashes', 'partitions', 'messageLoss', 'clockJumps', 'diskLoss', 'membership', 'diskFull', 'pauses', 'bridges', 'corruption', 'tableDamage'] as const;
export type FaultName = (typeof faultKeys)[number];

/** The fault kinds switched on, by name (for command lines and replay commands). */
export function faultNames(f: FaultOptions): FaultName[] {
  return faultKeys.filter((k) => f[k] === true);
}

export function faultsFromNames(names: readonly string[]): FaultOptions {
  for (const n of names) if (!(faultKeys as readonly string[]).includes(n)) throw new Error(`unknown fault "${n}" (known: ${faultKeys.join(', ')})`);
  return { ...allFaults, ...Object.fromEntries(faultKeys.map((k) => [k, names.includes(k)])) };
}
