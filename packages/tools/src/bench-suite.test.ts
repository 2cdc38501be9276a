import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressLine } from './bench-progress.js';
import type { BenchConfig, SystemReport } from './bench-report.js';
import { benchSystem } from './bench-suite.js';

/** The whole path against real node processes: start, load, two workloads, stop. Kept tiny. */
let rootDir: string;
let report: SystemReport;
const config: BenchConfig = {
  nodes: 2, n: 2, r: 1, w: 2, sync: true, policy: 'lww', compact: true, cacheMb: 8, clients: 4, loadClients: 16, valueBytes: 64, records: 300,
  durationS: 1, warmupS: 1, distribution: 'zipfian', workloads: ['C', 'D'], seed: 5,
};
const progressLines: string[] = [];

beforeAll(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'ringkv-bench-suite-'));
  const silent = { isTTY: false, write: (line: string) => progressLines.push(line) > 0 } as unknown as NodeJS.WriteStream;
  const result = await benchSystem('ringkv', { config, rootDir, progress: new ProgressLine(silent), aborted: () => false });
  if ('skipped' in result) throw new Error('ringkv skipped');
  report = result;
}, 120_000);

afterAll(async () => {
  await rm(rootDir, { recursive: true, force: true });
});

describe('benchSystem(ringkv)', () => {
  it('loads every record and runs each workload without errors', () => {
    expect(report.failure).toBeUndefined();
    expect(report.load).toMatchObject({ records: 300, failedKeys: 0 });
    // every node answered its POST /admin/compact between the load and the workloads
    expect(report.compactMs).toBeGreaterThanOrEqual(0);
    expect(report.workloads.map((w) => w.workload)).toEqual(['C', 'D']);
    for (const w of report.workloads) {
      const all = w.ops.at(-1)!;
      expect(all.op).toBe('ALL');
      expect(all.count).toBeGreaterThan(0);
      expect(all.errors).toBe(0);
    }
    expect(report.workloads[1]!.ops.map((o) => o.op)).toContain('READ');
    expect(report.description).toContain('--sync');
    expect(report.description).toContain('last-writer-wins');
  });

  it("reads the nodes' sibling counts around each workload: one value per last-writer-wins key", () => {
    const [c, d] = report.workloads;
    expect(c?.siblingsPerOp).toEqual({ get: 1 });
    // D inserts (PUTs) and reads the newest keys
    expect(d?.siblingsPerOp).toEqual({ get: 1, put: 1 });
  });

  it('runs each workload unmeasured first, then measures it', () => {
    for (const w of ['C', 'D']) {
      const warmStart = progressLines.indexOf(`ringkv ${w} warm-up 0/1 s\n`);
      const lastWarm = progressLines.findLastIndex((l) => l.startsWith(`ringkv ${w} warm-up `));
      const measuredStart = progressLines.indexOf(`ringkv ${w} 0/1 s\n`);
      const summary = progressLines.findIndex((l) => l.startsWith(`ringkv ${w}: `));
      expect(warmStart).toBeGreaterThanOrEqual(0);
      expect(lastWarm).toBeGreaterThanOrEqual(warmStart);
      expect(measuredStart).toBeGreaterThan(lastWarm);
      expect(summary).toBeGreaterThan(measuredStart);
    }
  });

  it('measured each node during each phase', () => {
    expect(report.usage.map((u) => u.phase)).toEqual(['load', 'C', 'D']);
    for (const u of report.usage) {
      expect(u.processes.map((p) => p.label)).toEqual(['n1', 'n2', 'bench']);
      expect(u.processes.every((p) => (p.rssBytes ?? 0) > 10 * 1024 * 1024 && p.cpuPercent !== undefined)).toBe(true);
      expect(u.processes.every((p) => (p.rssFileBytes ?? 0) > 0 && p.rssFileBytes! <= p.rssBytes!)).toBe(true);
      // every node answered requests over sockets during every phase
      expect(u.processes.every((p) => (p.syscalls ?? 0) > 0 && p.cpuSeconds !== undefined)).toBe(true);
    }
  });
});
