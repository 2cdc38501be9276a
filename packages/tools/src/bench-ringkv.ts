import { compactNodes } from '@ringkv/client';
import type { KvDriver } from './bench-driver.js';
import type { ConflictPolicy } from './bench-report.js';
import { HttpKvDriver, benchKeyPrefix } from './bench-http-driver.js';
import { scrapeSiblingCounts } from './bench-siblings.js';
import type { RunningSystem, StartContext } from './bench-system.js';
import { LocalCluster } from './local-cluster.js';

export interface RingkvSetup {
  readonly nodes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** start the nodes with --sync: fsync every replica write before acknowledging it */
  readonly sync: boolean;
  /** ?dw=dw on every write (0: not sent) */
  readonly dw: number;
  /** lww: every bench key (all start with "u", see bench-http-driver) is last-writer-wins */
  readonly policy: ConflictPolicy;
  /** the nodes' --cache-mb (LevelDB block cache), or their default */
  readonly cacheMb: number | undefined;
  /** the nodes' --max-open-files (LevelDB tables open and mapped), or their default */
  readonly maxOpenFiles?: number | undefined;
  /** the nodes' --table-reads, or their default */
  readonly tableReads?: 'pread' | 'mmap' | undefined;
  /** the nodes' --write-buffer-mb, or their default */
  readonly writeBufferMb?: number | undefined;
}

/** The system under test: a fresh LocalCluster of real node processes. */
export async function startRingkv(ctx: StartContext, setup: RingkvSetup): Promise<RunningSystem> {
  const extraArgs = ['--log-level', 'warn', '--value-bytes-max', String(Math.max(1024 * 1024, ctx.valueBytes))];
  if (setup.sync) extraArgs.push('--sync');
  if (setup.policy === 'lww') extraArgs.push('--lww-prefix', benchKeyPrefix);
  if (setup.cacheMb !== undefined) extraArgs.push('--cache-mb', String(setup.cacheMb));
  if (setup.maxOpenFiles !== undefined) extraArgs.push('--max-open-files', String(setup.maxOpenFiles));
  if (setup.tableReads !== undefined) extraArgs.push('--table-reads', setup.tableReads);
  if (setup.writeBufferMb !== undefined) extraArgs.push('--write-buffer-mb', String(setup.writeBufferMb));
  const cluster = await LocalCluster.start({ nodes: setup.nodes, dataDir: ctx.dir, n: setup.n, r: setup.r, w: setup.w, extraArgs });
  const quorum = `N=${setup.n} R=${setup.r} W=${setup.w}`;
  const policy = setup.policy === 'lww' ? ', keys last-writer-wins (--lww-prefix)' : '';
  // What an acknowledgement means: --sync fsyncs every write, ?dw asks each write to be fsynced.
  const acked = setup.sync
    ? '--sync: a write is acknowledged once W replicas fsynced it'
    : setup.dw > 0
      ? 'no --sync'
      : "no --sync: a write is acknowledged once W replicas applied it (in LevelDB's log, not yet fsynced)";
  const tableReads = await tableReadsInForce(cluster.urls()[0]);
  const durable = setup.dw > 0 ? `, writes with ?dw=${setup.dw}: acknowledged once ${Math.max(setup.w, setup.dw)} replicas fsynced them` : '';
  return {
    name: 'ringkv',
    description: `ringkv: ${setup.nodes} nodes, ${quorum}${policy}, ${acked}${durable}${tableReads === undefined ? '' : `, LevelDB tables read with ${tableReads}`}`,
    stores: true,
    createDriver: (clients): KvDriver => new HttpKvDriver({ urls: cluster.urls(), clients, keepContexts: true, ...(setup.dw > 0 && { writeQuery: `dw=${setup.dw}` }) }),
    compactAfterLoad: async () => {
      const { compactMs, compactFailures } = await compactNodes(cluster.urls());
      const failed = compactFailures[0];
      if (failed !== undefined) throw new Error(`compacting ${failed.node} after the load failed: ${failed.error}`);
      return compactMs;
    },
    processes: () => cluster.urls().map((_, i) => ({ label: cluster.node(i).id, pid: cluster.node(i).pid })),
    siblingCounts: () => scrapeSiblingCounts(cluster.urls()),
    stop: () => cluster.stop(),
  };
}

/**
 * How the nodes' LevelDB reads its tables, as a node reports it (`mmap` on a
 * prebuilt LevelDB whatever was asked for), so a report says which it measured.
 */
async function tableReadsInForce(url: string | undefined): Promise<string | undefined> {
  if (url === undefined) return undefined;
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(5000) });
    const status = (await res.json()) as { store?: { tableReads?: unknown } | null };
    return typeof status.store?.tableReads === 'string' ? status.store.tableReads : undefined;
  } catch {
    return undefined;
  }
}
