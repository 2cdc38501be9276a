#!/usr/bin/env node
/**
 * Backup and restore figures (issue 7, item 6), on fresh local clusters in a
 * temporary directory (removed afterwards): write --keys keys of
 * --value-bytes bytes into a 3-node cluster, back it up (time, file size),
 * stop it, restore the file into a second fresh cluster (time), back that one
 * up too and compare the two files key by key: the same keys, and records
 * equal in siblings and history.
 *
 *   node packages/tools/dist/backup-bench-main.js [--keys 100000] [--value-bytes 100] [--json]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BackupFileReader, backupCluster, restoreCluster, type BackupSummary, type RestoreSummary } from '@ringkv/client';
import { recordEquals } from '@ringkv/core';
import { Command } from 'commander';
import { Pool } from 'undici';
import { writeKeys } from './ae-bench-load.js';
import { intIn } from './int-arg.js';
import { LocalCluster } from './local-cluster.js';

interface Flags {
  readonly keys: number;
  readonly valueBytes: number;
  readonly clients: number;
  readonly json: boolean;
}

const program = new Command('backup-bench')
  .description('Backs up a fresh 3-node cluster holding --keys keys, restores the file into another fresh cluster, and compares.')
  .option('--keys <n>', 'keys written before the backup', intIn(1, 10_000_000), 100_000)
  .option('--value-bytes <n>', 'size of every value', intIn(1, 1024 * 1024), 100)
  .option('--clients <n>', 'writes in flight while loading', intIn(1, 1000), 64)
  .option('--json', 'print the figures as JSON', false);

const nodeArgs = ['--log-level', 'warn'];
const secs = (ms: number): string => (ms / 1000).toFixed(1);

function line(text: string): void {
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${text}` : '');
}

async function startCluster(dir: string): Promise<LocalCluster> {
  return LocalCluster.start({ nodes: 3, dataDir: dir, n: 3, r: 2, w: 2, extraArgs: nodeArgs, readyTimeoutMs: 120_000 });
}

/** Walks both files in step (same partition count, so the same order) and counts differing records. */
async function compareFiles(a: string, b: string): Promise<{ keysA: number; keysB: number; differing: number }> {
  const ra = (await BackupFileReader.open(a)).entries();
  const rb = (await BackupFileReader.open(b)).entries();
  let keysA = 0;
  let keysB = 0;
  let differing = 0;
  let x = await ra.next();
  let y = await rb.next();
  while (x.done !== true || y.done !== true) {
    const order = x.done === true ? 1 : y.done === true ? -1 : Buffer.compare(x.value.key, y.value.key);
    if (order === 0 && x.done !== true && y.done !== true) {
      if (!recordEquals(x.value.record, y.value.record)) differing++;
      keysA++;
      keysB++;
      x = await ra.next();
      y = await rb.next();
    } else if (order < 0) {
      keysA++;
      differing++;
      x = await ra.next();
    } else {
      keysB++;
      differing++;
      y = await rb.next();
    }
  }
  return { keysA, keysB, differing };
}

async function main(flags: Flags): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-backup-bench-'));
  let cluster: LocalCluster | undefined;
  try {
    process.stderr.write(`starting 3 nodes in ${dir} …\n`);
    cluster = await startCluster(join(dir, 'source'));
    const pools = cluster.urls().map((u) => new Pool(u, { connections: Math.ceil(flags.clients / 3) + 1, headersTimeout: 60_000, bodyTimeout: 60_000 }));
    const load = await writeKeys({
      pools,
      indexes: Array.from({ length: flags.keys }, (_, i) => i),
      value: new Uint8Array(flags.valueBytes).fill(0x61),
      w: 2,
      clients: flags.clients,
      contexts: new Array<string | undefined>(flags.keys),
      aborted: () => false,
      onTick: (done) => line(`loading: ${done}/${flags.keys} keys`),
    });
    await Promise.all(pools.map((p) => p.close()));
    process.stderr.write(`\nloaded ${load.written} keys in ${secs(load.elapsedMs)} s\n`);

    const file = join(dir, 'cluster.ringkv');
    let t = performance.now();
    const backup: BackupSummary = await backupCluster({
      nodes: cluster.urls(),
      out: file,
      onProgress: (p) => line(`backup: partition ${p.partitionsDone}/${p.partitionCount}, ${p.keys} keys`),
    });
    const backupMs = performance.now() - t;
    process.stderr.write(`\nbackup: ${backup.keys} keys, ${backup.bytes} bytes in ${secs(backupMs)} s\n`);
    await cluster.stop();
    cluster = undefined;

    cluster = await startCluster(join(dir, 'target'));
    t = performance.now();
    const restore: RestoreSummary = await restoreCluster({
      nodes: cluster.urls(),
      file,
      onProgress: (p) => line(`restore (${p.phase}): ${p.restored}/${p.entriesTotal ?? '?'} keys`),
    });
    const restoreMs = performance.now() - t;
    process.stderr.write(`\nrestore: ${restore.restored} keys (${restore.failed} failed) in ${secs(restoreMs)} s\n`);

    const check = join(dir, 'check.ringkv');
    const second = await backupCluster({ nodes: cluster.urls(), out: check, minReplicas: 3 });
    const compared = await compareFiles(file, check);
    const figures = {
      keys: flags.keys,
      valueBytes: flags.valueBytes,
      loadSeconds: load.elapsedMs / 1000,
      backup: { seconds: backupMs / 1000, keysPerSecond: backup.keys / (backupMs / 1000), keys: backup.keys, fileBytes: (await stat(file)).size, bytesPerKey: backup.bytes / backup.keys },
      restore: {
        seconds: restoreMs / 1000,
        verifySeconds: restore.verifyMs / 1000,
        keysPerSecond: restore.restored / (restoreMs / 1000),
        restored: restore.restored,
        failed: restore.failed,
        requests: restore.requests,
      },
      check: { keysBackedUp: compared.keysA, keysInRestoredCluster: second.keys, recordsDiffering: compared.differing },
    };
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(figures, null, 2)}\n`
        : [
            `keys: ${flags.keys} of ${flags.valueBytes} bytes (loaded in ${secs(load.elapsedMs)} s)`,
            `backup:  ${secs(backupMs)} s (${Math.round(figures.backup.keysPerSecond)} keys/s), file ${figures.backup.fileBytes} bytes (${figures.backup.bytesPerKey.toFixed(0)} bytes/key)`,
            `restore: ${secs(restoreMs)} s (${Math.round(figures.restore.keysPerSecond)} keys/s, verify pass ${secs(restore.verifyMs)} s), ${restore.restored} restored, ${restore.failed} failed`,
            `check:   ${compared.keysA} keys backed up, ${second.keys} in the restored cluster, ${compared.differing} records differ`,
          ].join('\n') + '\n',
    );
    return restore.failed === 0 && compared.differing === 0 && compared.keysA === flags.keys ? 0 : 1;
  } finally {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

program.action(async (flags: Flags) => {
  process.exitCode = await main(flags);
});
await program.parseAsync();
