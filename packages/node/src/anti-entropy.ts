import {

  diffEntries,
  differingIndexes,
  entryHash,
  hashesEqual,
  keySegment,
  recordFromWire,
  recordToWire,
  segmentsOfGroup,
  type Clock,
  type KvRecord,
  type SegmentEntry,
  type Transport,
} from '@ringkv/core';
import { Packr } from 'msgpackr';
import { AE_OPS, aeSyncCountMax, parseHashList } from './anti-entropy-ops.js';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { PeriodicTask } from './periodic-task.js';
import type { PartitionTrees } from './partition-trees.js';
import type { ReplicaService } from './replica-service.js';

export interface AntiEntropySettings {
  /** pause between two exchanges (one partition with one fellow replica each) */
  readonly intervalMs: number;
  readonly requestTimeoutMs: number;
}

export interface ExchangeOutcome {
  readonly partition: number;
  readonly peer: string;
  readonly differingSegments: number;
  readonly keysSent: number;
  readonly keysReceived: number;
  /** keys whose copy changed here or there */
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface AntiEntropyStats {
  exchanges: number;
  exchangesFailed: number;
  keysRepaired: number;
  bytesSent: number;
  bytesReceived: number;
  lastExchangeAt: number;
}

const sizer = new Packr({ useRecords: false });
const sizeOf = (x: unknown): number => sizer.pack(x).length;
const latin1 = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
const fromLatin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/**
 * Merkle-tree anti-entropy: in the background, each node takes the
 * partitions it replicates in turn, compares its tree with a fellow
 * replica's top-down, walks only differing branches, exchanges only the keys
 * of differing segments, and repairs both sides by merging (never by
 * overwriting). One exchange at a time per node, paced by `intervalMs`, so it
 * cannot starve client traffic.
 */
export class AntiEntropy {
  readonly stats: AntiEntropyStats = { exchanges: 0, exchangesFailed: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0, lastExchangeAt: 0 };
  /** partition → fellow → local start time of the last completed exchange */
  private readonly lastFull = new Map<number, Map<string, number>>();
  /** minute buckets of repaired keys, for "last hour" */
  private readonly repairedByMinute = new Map<number, number>();
  private cursor = 0;
  private readonly fellowTurn = new Map<number, number>();
  private readonly task: PeriodicTask;
  /** called after every completed exchange (tombstone GC hooks in here) */
  afterExchange: (partition: number, peer: string) => Promise<void> = async () => undefined;
  /** while true (a node recovering lost data), exchanges run back to back instead of once per interval */
  urgent: () => boolean = () => false;

  constructor(
    private readonly deps: {
      readonly view: ClusterView;
      readonly trees: PartitionTrees;
      readonly replica: ReplicaService;
      readonly transport: Transport;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly isUp: (id: string) => boolean;
      readonly settings: AntiEntropySettings;
    },
  ) {
    this.task = new PeriodicTask(
      deps.clock,
      () => (this.urgent() ? 1 : deps.settings.intervalMs),
      () => this.tick(),
      (err) => deps.logger.debug({ err: String(err) }, 'anti-entropy exchange failed'),
    );
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** Local start time of the last completed exchange of `partition` with `peer` (0 = never). */
  lastFullExchange(partition: number, peer: string): number {
    return this.lastFull.get(partition)?.get(peer) ?? 0;
  }

  repairedLastHour(): number {
    const minute = Math.floor(this.deps.clock.now() / 60_000);
    let n = 0;
    for (const [m, c] of this.repairedByMinute) {
      if (m > minute - 60) n += c;
      else this.repairedByMinute.delete(m);
    }
    return n;
  }

  /** The partitions this node is a primary of: the ones it exchanges. */
  partitionsReplicated(): number[] {
    const { view } = this.deps;
    const out: number[] = [];
    for (let p = 0; p < view.params.partitionCount; p++) if (view.preferenceList(p).includes(view.self.id)) out.push(p);
    return out;
  }

  /** One scheduled step: the next partition with its next live fellow replica. */
  async tick(): Promise<ExchangeOutcome | undefined> {
    const parts = this.partitionsReplicated();
    if (parts.length === 0) return undefined;
    for (let tries = 0; tries < parts.length; tries++) {
      const p = parts[this.cursor++ % parts.length] as number;
      const fellows = this.deps.view.preferenceList(p).filter((id) => id !== this.deps.view.self.id && this.deps.isUp(id));
      if (fellows.length === 0 || this.deps.trees.tree(p) === undefined) continue;
      const turn = this.fellowTurn.get(p) ?? 0;
      this.fellowTurn.set(p, turn + 1);
      return this.exchange(p, fellows[turn % fellows.length] as string);
    }
    return undefined;
  }

  /** Compares and repairs one partition with one fellow replica, now. */
  async exchange(partition: number, peer: string): Promise<ExchangeOutcome> {
    const startedAt = this.deps.clock.now();
    const tree = this.deps.trees.tree(partition);
    if (tree === undefined) throw new Error(`partition ${partition}: tree not built yet`);
    const io = { sent: 0, received: 0 };
    const call = async (op: string, body: unknown): Promise<Record<string, unknown>> => {
      const member = this.deps.view.member(peer);
      if (member === undefined) throw new Error(`unknown member ${peer}`);
      io.sent += sizeOf(body) + op.length;
      const res = await this.deps.transport.request(member.rpc, op, body, this.deps.settings.requestTimeoutMs);
      if (!res.ok) throw new Error(`${peer}: ${res.code} ${res.message}`);
      io.received += sizeOf(res.body);
      return (res.body ?? {}) as Record<string, unknown>;
    };
    let outcome: ExchangeOutcome = { partition, peer, differingSegments: 0, keysSent: 0, keysReceived: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0 };
    try {
      const top = await call(AE_OPS.top, { p: partition });
      const theirRoot = parseHashList([top.root], 1)?.[0];
      const theirGroups = parseHashList(top.groups, 16);
      if (top.built !== true || theirRoot === undefined || theirGroups === undefined) throw new Error(`${peer}: tree of ${partition} not built`);
      if (!hashesEqual(tree.root(), theirRoot)) {
        const groups = differingIndexes(tree.groups(), theirGroups);
        const seg = await call(AE_OPS.segments, { p: partition, groups });
        const segments: number[] = [];
        const lists = Array.isArray(seg.segments) ? seg.segments : [];
        groups.forEach((g, i) => {
          const theirs = parseHashList(lists[i], 16);
          if (theirs === undefined) throw new Error(`${peer}: malformed segment hashes`);
          for (const j of differingIndexes(tree.segmentsOf(g), theirs)) segments.push(segmentsOfGroup(g)[j] as number);
        });
        const ent = await call(AE_OPS.entries, { p: partition, segments });
        const theirEntries = parseEntries(ent.entries);
        const mine = await this.segmentEntries(partition, new Set(segments));
        const d = diffEntries(mine, theirEntries);
        const send = [...d.differ, ...d.onlyMine];
        const want = [...d.differ, ...d.onlyTheirs];
        let repaired = 0;
        let received = 0;
        for (let i = 0; i < Math.max(send.length, want.length); i += aeSyncCountMax) {
          const records: { k: Uint8Array; rec: unknown }[] = [];
          for (const k of send.slice(i, i + aeSyncCountMax)) {
            const key = fromLatin1(k);
            const rec = await this.deps.replica.read(partition, key);
            if (rec !== undefined) records.push({ k: key, rec: recordToWire(rec) });
          }
          const res = await call(AE_OPS.sync, { p: partition, records, want: want.slice(i, i + aeSyncCountMax).map(fromLatin1) });
          repaired += typeof res.changed === 'number' ? res.changed : 0;
          for (const r of Array.isArray(res.records) ? res.records : []) {
            const item = r as { k?: unknown; rec?: unknown };
            if (!(item.k instanceof Uint8Array)) continue;
            received++;
            if (await this.mergeCounting(partition, item.k, recordFromWire(item.rec))) repaired++;
          }
        }
        outcome = { ...outcome, differingSegments: segments.length, keysSent: send.length, keysReceived: received, keysRepaired: repaired };
      }
      const parts = this.lastFull.get(partition) ?? new Map<string, number>();
      parts.set(peer, startedAt);
      this.lastFull.set(partition, parts);
      this.record(outcome.keysRepaired, io);
      await this.afterExchange(partition, peer);
      return { ...outcome, bytesSent: io.sent, bytesReceived: io.received };
    } catch (err) {
      this.stats.exchangesFailed++;
      this.stats.bytesSent += io.sent;
      this.stats.bytesReceived += io.received;
      throw err;
    }
  }

  /** Serves a fellow replica's exchange steps. */
  async serve(
    op: string,
    body: { p: number; groups?: number[]; segments?: number[]; records?: readonly { k: Uint8Array; rec: KvRecord }[]; want?: readonly Uint8Array[]; primaries?: readonly string[] },
  ): Promise<unknown> {
    const tree = this.deps.trees.tree(body.p);
    switch (op) {
      case AE_OPS.top:
        return tree === undefined ? { built: false } : { built: true, root: tree.root(), groups: tree.groups() };
      case AE_OPS.segments:
        if (tree === undefined) throw new Error('tree not built');
        return { segments: (body.groups ?? []).map((g) => tree.segmentsOf(g)) };
      case AE_OPS.entries: {
        const entries = await this.segmentEntries(body.p, new Set(body.segments ?? []));
        return { entries: entries.map((e) => [fromLatin1(e.key), e.hash[0], e.hash[1]]) };
      }
      case AE_OPS.sync: {
        let changed = 0;
        for (const r of body.records ?? []) if (await this.mergeCounting(body.p, r.k, r.rec)) changed++;
        const records: { k: Uint8Array; rec: unknown }[] = [];
        for (const k of body.want ?? []) {
          const rec = await this.deps.replica.read(body.p, k);
          if (rec !== undefined) records.push({ k, rec: recordToWire(rec) });
        }
        this.noteRepaired(changed);
        return { records, changed };
      }
      case AE_OPS.hintsAny:
        return { any: await this.mayResend(body.p, body.primaries) };
      default:
        throw new Error(`unknown anti-entropy op ${op}`);
    }
  }

  /**
   * Whether this node holds copies of a partition's keys that could reach its
   * primaries later: hints, or data kept while not one of `primaries` (the
   * asker's list) — an old owner draining it flushes writes it took, and a
   * node that becomes a replica again brings its copy back.
   */
  private async mayResend(partition: number, primaries: readonly string[] | undefined): Promise<boolean> {
    const { replica, view } = this.deps;
    if (await replica.store.hasHints(partition)) return true;
    return primaries !== undefined && !primaries.includes(view.self.id) && (await replica.store.hasData(partition));
  }

  private async mergeCounting(partition: number, key: Uint8Array, rec: KvRecord): Promise<boolean> {
    const before = this.deps.replica.stats.mergesChanged;
    await this.deps.replica.merge(partition, key, rec);
    return this.deps.replica.stats.mergesChanged > before;
  }

  /** The (key, hash) entries of the given segments, by one scan of the partition. */
  private async segmentEntries(partition: number, segments: ReadonlySet<number>): Promise<SegmentEntry[]> {
    const out: SegmentEntry[] = [];
    if (segments.size === 0) return out;
    for await (const { key, bytes } of this.deps.replica.store.scanPartition(partition)) {
      if (segments.has(keySegment(key))) out.push({ key: latin1(key), hash: entryHash(key, bytes) });
    }
    return out;
  }

  private record(repaired: number, io: { sent: number; received: number }): void {
    this.stats.exchanges++;
    this.stats.lastExchangeAt = this.deps.clock.now();
    this.stats.bytesSent += io.sent;
    this.stats.bytesReceived += io.received;
    this.noteRepaired(repaired);
  }

  private noteRepaired(n: number): void {
    if (n === 0) return;
    this.stats.keysRepaired += n;
    const minute = Math.floor(this.deps.clock.now() / 60_000);
    this.repairedByMinute.set(minute, (this.repairedByMinute.get(minute) ?? 0) + n);
  }

}

function parseEntries(x: unknown): SegmentEntry[] {
  if (!Array.isArray(x)) throw new Error('malformed anti-entropy entries');
  return x.map((e) => {
    if (!Array.isArray(e) || !(e[0] instanceof Uint8Array) || typeof e[1] !== 'number' || typeof e[2] !== 'number') {
      throw new Error('malformed anti-entropy entry');
    }
    return { key: latin1(e[0]), hash: [e[1] >>> 0, e[2] >>> 0] as const };
  });
}

