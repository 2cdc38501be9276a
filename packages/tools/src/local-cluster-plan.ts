/** Where each node of a LocalCluster listens and with which flags, decided (and ports checked) before anything starts. */
import { join, resolve } from 'node:path';
import { findFreePorts, takenPorts } from '@ringkv/node';
import type { LocalClusterOptions } from './local-cluster.js';
import { nodeArgs, type NodeSpec } from './node-process.js';

const sharedHost = '127.0.0.1';

/** The address node `index` (1-based) listens on: its own with `hostPerNode`, else 127.0.0.1. */
export function nodeHost(index: number, hostPerNode: boolean | undefined): string {
  if (hostPerNode !== true) return sharedHost;
  if (!Number.isInteger(index) || index < 1 || index > 244) throw new RangeError(`hostPerNode fits nodes 1..244 (got ${index})`);
  return `127.0.0.${10 + index}`;
}

/** Thrown by start() when a fixed port is already taken; nothing was started. */
export class PortsInUseError extends Error {
  constructor(
    readonly ports: readonly number[],
    host = sharedHost,
  ) {
    super(`port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} already in use on ${host}: is another cluster running? Nothing was started.`);
    this.name = 'PortsInUseError';
  }
}

/** Ports, directories and arguments of every node, checked before anything starts. */
export async function planNodes(
  count: number,
  options: LocalClusterOptions,
  /** for nodes added to a running cluster: the first id number, the seeds, more flags */
  extra: { readonly firstIndex: number; readonly seeds: readonly string[]; readonly extraArgs: readonly string[] } | undefined = undefined,
): Promise<NodeSpec[]> {
  const first = extra?.firstIndex ?? 1;
  const hosts = Array.from({ length: count }, (_, i) => nodeHost(first + i, options.hostPerNode));
  let httpPorts: number[];
  let rpcPorts: number[];
  if (options.basePort === undefined) {
    if (options.hostPerNode === true) {
      // Each node's two ports are probed on its own address.
      const perNode = await Promise.all(hosts.map((h) => findFreePorts(2, h)));
      httpPorts = perNode.map((p) => p[0] ?? 0);
      rpcPorts = perNode.map((p) => p[1] ?? 0);
    } else {
      const free = await findFreePorts(2 * count, sharedHost);
      httpPorts = free.slice(0, count);
      rpcPorts = free.slice(count);
    }
  } else {
    const base = options.basePort;
    const last = first + count - 1;
    if (!Number.isInteger(base) || base < 1 || base + 100 + last - 1 > 65535) {
      throw new RangeError(`basePort must leave room for ${last} HTTP and RPC ports below 65536 (got ${base})`);
    }
    if (last > 100) throw new RangeError('with a basePort at most 100 nodes fit before RPC ports overlap HTTP ports');
    httpPorts = Array.from({ length: count }, (_, i) => base + first - 1 + i);
    rpcPorts = Array.from({ length: count }, (_, i) => base + 100 + first - 1 + i);
    const taken: number[] = [];
    if (options.hostPerNode === true) {
      for (const [i, h] of hosts.entries()) taken.push(...(await takenPorts([httpPorts[i] ?? 0, rpcPorts[i] ?? 0], h)));
    } else {
      taken.push(...(await takenPorts([...httpPorts, ...rpcPorts], sharedHost)));
    }
    if (taken.length > 0) throw new PortsInUseError(taken, options.hostPerNode === true ? 'the nodes\' addresses' : sharedHost);
  }
  const root = resolve(options.dataDir);
  const logDir = resolve(options.logDir ?? root);
  const rpcAddrs = rpcPorts.map((p, i) => `${hosts[i] ?? sharedHost}:${p}`);
  return httpPorts.map((httpPort, i) => {
    const rpcPort = rpcPorts[i] ?? 0;
    const host = hosts[i] ?? sharedHost;
    const id = `n${first + i}`;
    const dataDir = join(root, id);
    return {
      index: first + i,
      id,
      host,
      httpPort,
      rpcPort,
      dataDir,
      logFile: join(logDir, `${id}.log`),
      ...((options.security?.tls === true || (options.extraArgs ?? []).includes('--tls-cert')) && { tls: true }),
      args: nodeArgs({
        id,
        host,
        httpPort,
        rpcPort,
        dataDir,
        // Every other node is a seed, so any one of them coming up first is enough to find the rest.
        seeds: [...(extra?.seeds ?? []), ...rpcAddrs.filter((_, j) => j !== i)],
        n: options.n ?? 3,
        r: options.r ?? 2,
        w: options.w ?? 2,
        extraArgs: [
          ...(options.extraArgs ?? []),
          ...(extra?.extraArgs ?? []),
          ...(options.perNodeArgs?.({ index: first + i, id, host, httpPort, rpcPort, dataDir }) ?? []),
        ],
      }),
    };
  });
}
