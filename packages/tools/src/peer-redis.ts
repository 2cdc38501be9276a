import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { OpError, type KvDriver, type ReadStatus, type WriteStatus } from './bench-driver.js';
import type { RunningSystem, SkippedSystem, StartContext } from './bench-system.js';
import { randomBasePortBelowEphemeral, takenPorts } from '@ringkv/node';
import { findExecutable, PeerProcess, waitFor } from './peer-process.js';

const run = promisify(execFile);
const masters = 3;
const replicasPerMaster = 1;
/** Redis Cluster nodes talk on their client port + 10000 (the cluster bus). */
const busOffset = 10_000;
const key = (k: number): string => `u${k}`;

/**
 * Redis Cluster, 3 masters with one replica each, AOF with fsync once a second:
 * the usual production setup. Started in `ctx.dir`, one process per node.
 */
export async function startRedisPeer(ctx: StartContext): Promise<RunningSystem | SkippedSystem> {
  const server = await findExecutable('redis-server');
  const cli = await findExecutable('redis-cli');
  if (server === undefined || cli === undefined) {
    return { name: 'redis', skipped: 'redis-server or redis-cli not installed (apt-get install -y redis-server redis-tools)' };
  }
  const ports = await portsWithFreeBus(masters * (1 + replicasPerMaster));
  const procs: PeerProcess[] = [];
  try {
    for (const port of ports) {
      const dir = join(ctx.dir, `redis-${port}`);
      await mkdir(dir, { recursive: true });
      // RDB snapshots off (--save ""): only the AOF persists, so a background fork does not land in a measurement.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'no', '--daemonize', 'no'];
      procs.push(PeerProcess.spawn(`r${port}`, server, args, join(ctx.dir, `redis-${port}.log`)));
    }
    for (const [i, port] of ports.entries()) {
      await waitFor(`redis-server on port ${port}`, async () => (await redisCli(cli, port, ['ping'])) === 'PONG', 15_000, () => procs[i]?.exitReason);
    }
    await run(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], { timeout: 30_000 });
    for (const port of ports) {
      await waitFor(`redis cluster state on ${port}`, async () => (await redisCli(cli, port, ['cluster', 'info'])).includes('cluster_state:ok'), 30_000);
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
  return {
    name: 'redis',
    description:
      'redis: Redis Cluster, 3 masters + 3 replicas, AOF fsync every second; no quorum: a write is acknowledged by its master alone, replicated asynchronously, and can be lost on failover',
    stores: true,
    createDriver: () => new RedisDriver(new Cluster(ports.slice(0, masters).map((port) => ({ host: '127.0.0.1', port })))),
    processes: () => procs.map((p) => ({ label: p.label, pid: p.pid })),
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

/** SET/GET through ioredis' Cluster client (slot-aware; one connection per master, requests pipelined on it as Redis clients do). */
class RedisDriver implements KvDriver {
  constructor(readonly cluster: Cluster) {}

  async read(k: number): Promise<ReadStatus> {
    return (await this.cluster.getBuffer(key(k))) === null ? 'missing' : 'found';
  }

  async write(k: number, value: Buffer): Promise<WriteStatus> {
    const reply = await this.cluster.set(key(k), value);
    if (reply !== 'OK') throw new OpError(`SET ${String(reply)}`);
    return 'written';
  }

  async readModifyWrite(k: number, value: Buffer): Promise<ReadStatus> {
    const status = await this.read(k);
    await this.write(k, value);
    return status;
  }

  async close(): Promise<void> {
    await this.cluster.quit().catch(() => this.cluster.disconnect());
  }
}

async function redisCli(cli: string, port: number, args: readonly string[]): Promise<string> {
  const { stdout } = await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
  return stdout.trim();
}

/** `count` consecutive ports whose cluster-bus ports (+10000) are free too; tries a few random bases. */
async function portsWithFreeBus(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = randomBasePortBelowEphemeral(busOffset + count);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await takenPorts([...ports, ...ports.map((p) => p + busOffset)])).length === 0) return ports;
  }
  throw new Error(`no ${count} free ports with free cluster-bus ports (+${busOffset})`);
}
