import type { AeCounters, RepairSummary } from './ae-bench-status.js';

export interface AeBenchConfig {
  readonly nodes: number;
  readonly n: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly aeIntervalMs: number;
  readonly partitions: number;
}

/** What the benchmark measured; the figures of issue 4 are computed from it by `aeFigures`. */
export interface AeBenchMeasurements {
  readonly config: AeBenchConfig;
  readonly load: { readonly keys: number; readonly elapsedMs: number; readonly retries: number };
  /** (i) one replica's data dir wiped, repaired by anti-entropy alone */
  readonly wipe: {
    readonly victim: string;
    /** keys the victim held before it was wiped, and holds again at the end */
    readonly keys: number;
    /** from the restart of the wiped node until its process was ready */
    readonly readyMs: number;
    /** from the restart of the wiped node until it held every key again and had left recovery */
    readonly repairedMs: number;
    /** every node's anti-entropy counters over that time, summed */
    readonly counters: AeCounters;
    /** records the wiped node merged meanwhile, and how many of them changed it (the rest arrived twice) */
    readonly victimMerges: number;
    readonly victimChanges: number;
  };
  /** (ii) a fraction of the keys overwritten while one replica was down */
  readonly diverged: {
    readonly victim: string;
    readonly keys: number;
    /** keys the victim replicates (its share of a full copy) */
    readonly victimKeys: number;
    /** the bytes of the key names of the victim's keys plus their values: what a copy must carry at the very least */
    readonly payloadBytes: number;
    readonly repairedMs: number;
    /** store changes on the victim during the repair (should equal `keys`) */
    readonly victimChanges: number;
    readonly counters: AeCounters;
  };
  /** (iii) nothing differs: POST /admin/repair on every node */
  readonly idle: {
    readonly summaries: readonly RepairSummary[];
  };
}

export interface AeFigures {
  readonly wipe: {
    readonly keysPerSec: number;
    readonly bytes: number;
    readonly bytesPerKey: number;
    /** share of the records sent to the wiped node that it already had (two fellows sent the same key) */
    readonly duplicateShare: number;
    /** the bytes of (i) scaled down to the records that were needed: a full copy sent once */
    readonly onceBytes: number;
  };
  readonly diverged: {
    readonly percentOfKeys: number;
    readonly bytesSent: number;
    readonly bytesReceived: number;
    readonly bytes: number;
    /** bytes anti-entropy moved to refill the wiped replica in (i): a full copy, as it is really sent */
    readonly fullCopyBytes: number;
    readonly percentOfFullCopy: number;
    /** against the full copy without its duplicate records: the stricter comparison */
    readonly percentOfOnceCopy: number;
    readonly percentOfPayload: number;
    readonly targetPercent: number;
    readonly withinTarget: boolean;
  };
  readonly idle: {
    readonly exchanges: number;
    readonly failed: number;
    readonly keysRepaired: number;
    readonly bytesSent: number;
    readonly bytesReceived: number;
    readonly bytes: number;
    readonly bytesPerExchange: number;
    /** one full round = every node exchanges every partition it replicates with every fellow */
    readonly bytesPerPartition: number;
  };
}

export const divergedTargetPercent = 5;

const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

export function aeFigures(m: AeBenchMeasurements): AeFigures {
  const wipeBytes = m.wipe.counters.bytesSent + m.wipe.counters.bytesReceived;
  const divBytes = m.diverged.counters.bytesSent + m.diverged.counters.bytesReceived;
  const percentOfFullCopy = 100 * ratio(divBytes, wipeBytes);
  const neededShare = Math.min(1, ratio(m.wipe.victimChanges, m.wipe.victimMerges));
  const onceBytes = wipeBytes * neededShare;
  const idle = m.idle.summaries.reduce(
    (a, s) => ({
      exchanges: a.exchanges + s.exchanges,
      failed: a.failed + s.failed,
      keysRepaired: a.keysRepaired + s.keysRepaired,
      bytesSent: a.bytesSent + s.bytesSent,
      bytesReceived: a.bytesReceived + s.bytesReceived,
    }),
    { exchanges: 0, failed: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0 },
  );
  const idleBytes = idle.bytesSent + idle.bytesReceived;
  return {
    wipe: {
      keysPerSec: ratio(m.wipe.keys * 1000, m.wipe.repairedMs),
      bytes: wipeBytes,
      bytesPerKey: ratio(wipeBytes, m.wipe.keys),
      duplicateShare: 1 - neededShare,
      onceBytes,
    },
    diverged: {
      percentOfKeys: 100 * ratio(m.diverged.keys, m.diverged.victimKeys),
      bytesSent: m.diverged.counters.bytesSent,
      bytesReceived: m.diverged.counters.bytesReceived,
      bytes: divBytes,
      fullCopyBytes: wipeBytes,
      percentOfFullCopy,
      percentOfOnceCopy: 100 * ratio(divBytes, onceBytes),
      percentOfPayload: 100 * ratio(divBytes, m.diverged.payloadBytes),
      targetPercent: divergedTargetPercent,
      withinTarget: percentOfFullCopy <= divergedTargetPercent,
    },
    idle: {
      ...idle,
      bytes: idleBytes,
      bytesPerExchange: ratio(idleBytes, idle.exchanges),
      bytesPerPartition: ratio(idleBytes, m.config.partitions),
    },
  };
}

const s1 = (ms: number): string => (ms / 1000).toFixed(1);
const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const pct = (x: number): string => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)}%` : '-');
function size(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  if (bytes >= 10 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 10 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** The three acceptance figures of issue 4, as text meant to be pasted into a note as it is. */
export function formatAeReport(m: AeBenchMeasurements, f: AeFigures = aeFigures(m)): string {
  const c = m.config;
  const w = m.wipe;
  const d = m.diverged;
  const lines = [
    `ringkv ae-bench: ${c.nodes} nodes N=${c.n}, ${int(c.keys)} keys with ${c.valueBytes}-byte values, ${c.partitions} partitions, --ae-interval-ms ${c.aeIntervalMs}`,
    `load: ${int(m.load.keys)} keys written to all ${c.n} replicas in ${s1(m.load.elapsedMs)} s (${int(ratio(m.load.keys * 1000, m.load.elapsedMs))} keys/s${m.load.retries > 0 ? `, ${m.load.retries} retried` : ''})`,
    '',
    `(i) wiped replica ${w.victim}, repaired by anti-entropy alone (no reads, no hints)`,
    `    ${int(w.keys)} keys back in ${s1(w.repairedMs)} s from its restart: ${int(f.wipe.keysPerSec)} keys/s (process ready after ${s1(w.readyMs)} s)`,
    `    moved: ${int(f.wipe.bytes)} bytes both ways (${size(f.wipe.bytes)}, ${int(f.wipe.bytesPerKey)} bytes/key) in ${int(w.counters.exchanges)} exchanges` +
      (w.counters.exchangesFailed > 0 ? ` (+${w.counters.exchangesFailed} failed while it was down or starting)` : ''),
    `    ${pct(100 * f.wipe.duplicateShare)} of the records ${w.victim} received it already had (${int(w.victimMerges)} merged, ${int(w.victimChanges)} new)`,
    '',
    `(ii) ${pct(f.diverged.percentOfKeys)} of keys diverged on ${d.victim} (${int(d.keys)} of its ${int(d.victimKeys)} keys overwritten while it was down)`,
    `    repaired in ${s1(d.repairedMs)} s from its restart (${int(d.victimChanges)} keys changed on ${d.victim}); ${int(d.counters.exchanges)} exchanges`,
    `    bytes sent ${int(f.diverged.bytesSent)} + received ${int(f.diverged.bytesReceived)} = ${int(f.diverged.bytes)} (${size(f.diverged.bytes)})`,
    `    = ${pct(f.diverged.percentOfFullCopy)} of a full copy (${int(f.diverged.fullCopyBytes)} bytes, what (i) moved)` +
      `  [target <= ${f.diverged.targetPercent}%: ${f.diverged.withinTarget ? 'met' : 'NOT MET'}]`,
    `    = ${pct(f.diverged.percentOfOnceCopy)} of a full copy sent once (${int(f.wipe.onceBytes)} bytes: (i) without its duplicate records)`,
    `    = ${pct(f.diverged.percentOfPayload)} of the bare payload (${int(d.payloadBytes)} bytes of key names and values of ${d.victim}'s keys)`,
    '',
    `(iii) no divergence: one full round (POST /admin/repair on every node: every partition with every fellow)`,
    `    ${int(f.idle.exchanges)} exchanges${f.idle.failed > 0 ? ` (${f.idle.failed} failed)` : ''}, ${int(f.idle.keysRepaired)} keys repaired, ` +
      `${int(f.idle.bytes)} bytes both ways (sent ${int(f.idle.bytesSent)}, received ${int(f.idle.bytesReceived)})`,
    `    ${int(f.idle.bytesPerExchange)} bytes per partition exchange, ${int(f.idle.bytesPerPartition)} bytes per partition per round`,
    '',
  ];
  return lines.join('\n');
}

export function aeReportJson(m: AeBenchMeasurements, f: AeFigures = aeFigures(m)): string {
  const round = (x: number, digits = 0): number | null => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
  return `${JSON.stringify(
    {
      config: m.config,
      load: { ...m.load, elapsedMs: Math.round(m.load.elapsedMs) },
      wipe: {
        ...m.wipe,
        readyMs: Math.round(m.wipe.readyMs),
        repairedMs: Math.round(m.wipe.repairedMs),
        keysPerSec: round(f.wipe.keysPerSec),
        bytes: f.wipe.bytes,
        bytesPerKey: round(f.wipe.bytesPerKey, 1),
        duplicateShare: round(f.wipe.duplicateShare, 4),
        onceBytes: round(f.wipe.onceBytes),
      },
      diverged: {
        ...m.diverged,
        repairedMs: Math.round(m.diverged.repairedMs),
        percentOfKeys: round(f.diverged.percentOfKeys, 3),
        bytesSent: f.diverged.bytesSent,
        bytesReceived: f.diverged.bytesReceived,
        bytes: f.diverged.bytes,
        fullCopyBytes: f.diverged.fullCopyBytes,
        percentOfFullCopy: round(f.diverged.percentOfFullCopy, 3),
        percentOfOnceCopy: round(f.diverged.percentOfOnceCopy, 3),
        percentOfPayload: round(f.diverged.percentOfPayload, 3),
        targetPercent: f.diverged.targetPercent,
        withinTarget: f.diverged.withinTarget,
      },
      idle: {
        ...f.idle,
        bytesPerExchange: round(f.idle.bytesPerExchange, 1),
        bytesPerPartition: round(f.idle.bytesPerPartition, 1),
        perNode: m.idle.summaries,
      },
    },
    null,
    2,
  )}\n`;
}
