import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { request } from 'undici';
import type { KvDriver, ReadStatus, WriteStatus } from './bench-driver.js';
import type { RunningSystem, SkippedSystem, StartContext } from './bench-system.js';
import { findFreePorts } from '@ringkv/node';
import { findExecutable, PeerProcess, waitFor } from './peer-process.js';

const members = 3;
const key = (k: number): string => `u${k}`;

/**
 * A 3-member etcd cluster (Raft): a write is acknowledged once a majority has
 * it in its fsynced WAL; reads are linearizable (the etcd3 client's default).
 */
export async function startEtcdPeer(ctx: StartContext): Promise<RunningSystem | SkippedSystem> {
  const etcd = await findExecutable('etcd');
  if (etcd === undefined) return { name: 'etcd', skipped: 'etcd not installed (apt-get install -y etcd-server)' };
  const ports = await findFreePorts(2 * members);
  const names = Array.from({ length: members }, (_, i) => `e${i + 1}`);
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i]}`;
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[members + i]}`;
  const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(',');
  const procs: PeerProcess[] = [];
  try {
    for (const [i, name] of names.entries()) {
      const dir = join(ctx.dir, `etcd-${name}`);
      await mkdir(dir, { recursive: true });
      const args = ['--name', name, '--data-dir', dir,
        '--listen-client-urls', clientUrl(i), '--advertise-client-urls', clientUrl(i),
        '--listen-peer-urls', peerUrl(i), '--initial-advertise-peer-urls', peerUrl(i),
        '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${ports[0]}`,
        '--logger', 'zap', '--log-level', 'warn'];
      // etcd refuses to start on architectures it does not officially support unless told.
      const env = process.arch === 'x64' ? {} : { ETCD_UNSUPPORTED_ARCH: process.arch === 'arm64' ? 'arm64' : process.arch };
      procs.push(PeerProcess.spawn(name, etcd, args, join(ctx.dir, `etcd-${name}.log`), env));
    }
    for (const [i, proc] of procs.entries()) {
      await waitFor(`etcd member ${proc.label}`, () => healthy(clientUrl(i)), 30_000, () => proc.exitReason);
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
  return {
    name: 'etcd',
    description: 'etcd: 3 members (Raft), every write fsynced to a majority\'s WAL before it is acknowledged, linearizable reads',
    stores: true,
    createDriver: () => new EtcdDriver(new Etcd3({ hosts: names.map((_, i) => clientUrl(i)) })),
    processes: () => procs.map((p) => ({ label: p.label, pid: p.pid })),
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  const res = await request(`${url}/health`);
  const body = (await res.body.json()) as { health?: string };
  return res.statusCode === 200 && body.health === 'true';
}

/** put/get through the etcd3 client (gRPC, one channel per member, calls spread over them). */
class EtcdDriver implements KvDriver {
  constructor(readonly client: Etcd3) {}

  async read(k: number): Promise<ReadStatus> {
    return (await this.client.get(key(k)).buffer()) === null ? 'missing' : 'found';
  }

  async write(k: number, value: Buffer): Promise<WriteStatus> {
    await this.client.put(key(k)).value(value);
    return 'written';
  }

  async readModifyWrite(k: number, value: Buffer): Promise<ReadStatus> {
    const status = await this.read(k);
    await this.write(k, value);
    return status;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
