import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';
import { LocalCluster, type LocalClusterOptions } from '../local-cluster.js';

/** A cluster of real nodes in a fresh temporary directory; `dispose` stops it and removes the directory. */
export interface TempCluster {
  readonly cluster: LocalCluster;
  readonly dir: string;
  dispose(): Promise<void>;
}

export async function startTempCluster(name: string, options: Omit<LocalClusterOptions, 'dataDir'>): Promise<TempCluster> {
  const dir = await mkdtemp(join(tmpdir(), `ringkv-${name}-`));
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({ ...options, dataDir: dir });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    cluster,
    dir,
    async dispose() {
      try {
        await cluster.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Registers a beforeEach that, when the test fails, prints the end of every
 * node's log of its current run (and whether the process still runs), which is
 * usually what explains a failure in a cluster test. Call it inside a describe.
 */
export function printNodeLogsOnFailure(get: () => LocalCluster | undefined, lines = 25): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const cluster = get();
      if (cluster === undefined) return;
      for (let i = 0; i < cluster.size; i++) {
        const info = cluster.node(i);
        const tail = await cluster.logTail(i, lines).catch((err: unknown) => `(no log: ${String(err)})`);
        console.error(`--- ${info.id} (${info.pid === undefined ? 'not running' : `pid ${info.pid}`}), ${info.logFile}:\n${tail}`);
      }
    });
  });
}
