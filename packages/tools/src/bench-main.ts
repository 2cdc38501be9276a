#!/usr/bin/env node
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommanderError } from 'commander';
import { parseBenchArgs } from './bench-options.js';
import { ProgressLine } from './bench-progress.js';
import { reportJson, type BenchReport, type SystemReport } from './bench-report.js';
import { benchSystem } from './bench-suite.js';
import type { SkippedSystem, SystemName } from './bench-system.js';
import { formatBenchReport } from './bench-table.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

async function main(argv: readonly string[]): Promise<number> {
  const { config, peers, jsonFile } = parseBenchArgs(argv);
  let aborted = false;
  // Our own handler: the first Ctrl-C stops the measurement and every started
  // process gracefully; a second one exits at once (child-reaper then SIGKILLs them).
  const onSignal = (): void => {
    if (aborted) process.exit(130);
    aborted = true;
    process.stderr.write('\ninterrupted: stopping …\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const rootDir = await mkdtemp(join(tmpdir(), 'ringkv-bench-'));
  const progress = new ProgressLine();
  const systems: SystemReport[] = [];
  const skipped: SkippedSystem[] = [];
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  try {
    for (const name of ['ringkv', ...peers] as SystemName[]) {
      if (aborted) break;
      const result = await benchSystem(name, { config, rootDir, progress, aborted: () => aborted });
      if ('skipped' in result) skipped.push(result);
      else systems.push(result);
    }
  } finally {
    await rm(rootDir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const report: BenchReport = {
    config,
    systems,
    skipped,
    cpus: availableParallelism(),
    loadGeneratorCpuPercent: ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallBefore)) * 100,
    aborted,
  };
  if (jsonFile === '-') process.stdout.write(reportJson(report));
  else {
    process.stdout.write(formatBenchReport(report));
    if (jsonFile !== undefined) await writeFile(jsonFile, reportJson(report));
  }
  if (aborted) return 130;
  return systems.some((s) => s.failure !== undefined) ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
