import { performance } from 'node:perf_hooks';
import { readCpuSeconds } from './proc-cpu.js';
import { readSyscallCount } from './proc-io.js';
import { readRssBreakdown } from './proc-rss.js';

/** One server process of a system under test, e.g. { label: 'n1', pid: 1234 }. */
export interface ServerProcess {
  readonly label: string;
  readonly pid: number | undefined;
}

/** CPU and memory of one process over one phase (load or workload). */
export interface ProcessUsage {
  readonly label: string;
  /** resident memory at the end of the phase */
  readonly rssBytes: number | undefined;
  /** of it, file pages mapped into the process (for a node mostly LevelDB's tables; see proc-rss.ts) */
  readonly rssFileBytes?: number | undefined;
  /** the most it held resident since it started (VmHWM), read at the end of the phase */
  readonly rssPeakBytes?: number | undefined;
  /** CPU time used during the phase, in % of one core */
  readonly cpuPercent: number | undefined;
  /** CPU time used during the phase, in seconds */
  readonly cpuSeconds?: number | undefined;
  /** read- and write-family system calls during the phase (/proc/<pid>/io) */
  readonly syscalls?: number | undefined;
}

export interface UsageMark {
  readonly atMs: number;
  readonly cpuSeconds: readonly (number | undefined)[];
  readonly syscalls: readonly (number | undefined)[];
}

/** Marks the start of a phase: each process's CPU time so far. */
export async function markUsage(processes: readonly ServerProcess[]): Promise<UsageMark> {
  const cpuSeconds = await Promise.all(processes.map((p) => (p.pid === undefined ? undefined : readCpuSeconds(p.pid))));
  const syscalls = await Promise.all(processes.map((p) => (p.pid === undefined ? undefined : readSyscallCount(p.pid))));
  return { atMs: performance.now(), cpuSeconds, syscalls };
}

/** Each process's CPU share since `mark` and its RSS now. */
export async function usageSince(mark: UsageMark, processes: readonly ServerProcess[]): Promise<ProcessUsage[]> {
  const now = await markUsage(processes);
  const wallSeconds = Math.max(0.001, (now.atMs - mark.atMs) / 1000);
  return Promise.all(
    processes.map(async (p, i) => {
      const cpuSeconds = difference(mark.cpuSeconds[i], now.cpuSeconds[i]);
      const rss = p.pid === undefined ? undefined : await readRssBreakdown(p.pid);
      return {
        label: p.label,
        rssBytes: rss?.rssBytes,
        rssFileBytes: rss?.fileBytes,
        rssPeakBytes: rss?.peakBytes,
        cpuPercent: cpuSeconds === undefined ? undefined : (cpuSeconds / wallSeconds) * 100,
        cpuSeconds,
        syscalls: difference(mark.syscalls[i], now.syscalls[i]),
      };
    }),
  );
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}
