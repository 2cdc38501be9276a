import { mkdir } from 'node:fs/promises';
import { validateClusterParams, type MemberInfo } from '@ringkv/core';
import { LevelStore, ReplicaStore, StoreDamagedError, StoreFullError, loadOrCreateIdentity, markCleanShutdown, preadBuildPresent, renewEpoch } from '@ringkv/storage';
import { pino } from 'pino';
import { buildHttpApi } from './http-api.js';
import { HTTP_LIMIT_DEFAULTS } from './http-limits.js';
import { NODE_DEFAULTS, NODE_LIMIT_DEFAULTS, type NodeOptions } from './node-options.js';
import { loadSecurity } from './security-setup.js';
import { RingkvNode } from './ringkv-node.js';
import { skewedClock } from './skewed-clock.js';
import { systemClock, systemRandom } from './system-ports.js';
import { outboundLocalAddress } from './transport/address.js';
import { TcpTransport } from './transport/tcp-transport.js';

export interface RunningNode {
  readonly id: string;
  readonly httpAddress: string;
  readonly rpcAddress: string;
  readonly node: RingkvNode;
  /** Stops serving, closes sockets and the store (idempotent). */
  stop(): Promise<void>;
}

/** Starts one ringkv node process's worth of services: store, RPC, gossip, HTTP. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const params = validateClusterParams(options.cluster);
  const logger = pino({ level: options.logLevel, base: { node: options.id } });
  // Before the store or a port is opened: an unsafe or broken security setup must not start at all.
  const security = await loadSecurity(options);
  const limits = { ...HTTP_LIMIT_DEFAULTS, ...NODE_LIMIT_DEFAULTS, ...options.limits };
  await mkdir(options.dataDir, { recursive: true });
  const store = await LevelStore.open(options.dataDir, {
    cacheBytes: (options.cacheMb ?? NODE_DEFAULTS.cacheMb) * 1024 * 1024,
    writeBufferBytes: (options.writeBufferMb ?? NODE_DEFAULTS.writeBufferMb) * 1024 * 1024,
    ...(options.maxOpenFiles !== undefined && { maxOpenFiles: options.maxOpenFiles }),
    tableReads: options.tableReads ?? NODE_DEFAULTS.tableReads,
  });
  const wantedTableReads = options.tableReads ?? NODE_DEFAULTS.tableReads;
  if (store.tableReads !== wantedTableReads) {
    logger.warn(
      { wanted: wantedTableReads, tableReads: store.tableReads },
      preadBuildPresent()
        ? 'LevelDB reads tables as the first store this process opened asked; --table-reads applies per process'
        : 'LevelDB maps its table files: this install runs the prebuilt LevelDB (scripts/build-leveldb.mjs could not build it; see `pnpm install` output), so RSS grows with the table pages read',
    );
  }
  const cleanups: (() => Promise<void>)[] = [() => store.close()];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // A fresh or wiped data dir must never reuse an earlier life's actor: take the clock's seconds.
    const identity = await loadOrCreateIdentity(store, options.id, () => Math.floor(Date.now() / 1000));
    const actor = `${identity.nodeId}#${identity.epoch}`;
    const localAddress = outboundLocalAddress(options.rpcHost);
    const transport = new TcpTransport({
      nodeId: options.id,
      cluster: options.clusterName,
      listenHost: options.rpcHost,
      listenPort: options.rpcPort,
      // Connect to peers from our own address, so they (and a firewall) can tell nodes on one machine apart.
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(security.clusterSecret === undefined ? {} : { secret: security.clusterSecret }),
      ...(security.tls === undefined ? {} : { tls: security.tls }),
      serverConnectionCountMax: limits.rpcConnectionsMax,
      handshakeTimeoutMs: limits.rpcHandshakeTimeoutMs,
      logger,
    });
    const self: MemberInfo = {
      id: options.id,
      // What peers dial and clients are pointed to; the bind address unless told otherwise (0.0.0.0, NAT, containers).
      rpc: options.advertiseRpc ?? `${options.rpcHost}:${options.rpcPort}`,
      http: options.advertiseHttp ?? `${options.httpHost}:${options.httpPort}`,
      weight: options.weight,
      // Wall-clock ms: a restarted node's entry replaces its older one everywhere.
      incarnation: Date.now(),
    };
    const node = new RingkvNode({
      self,
      actor,
      params,
      clock: skewedClock(systemClock, {
        ...(options.clockOffsetMs !== undefined && { offsetMs: options.clockOffsetMs }),
        ...(options.clockOffsetFile !== undefined && { offsetFile: options.clockOffsetFile }),
      }),
      random: systemRandom,
      transport,
      store: new ReplicaStore(store),
      renewActor: async () => `${options.id}#${await renewEpoch(store, options.id, Math.floor(Date.now() / 1000))}`,
      logger,
      seeds: options.seeds,
      requestTimeoutMs: options.requestTimeoutMs,
      gossipIntervalMs: options.gossipIntervalMs,
      syncWrites: options.syncWrites,
      handoffIntervalMs: options.handoffIntervalMs ?? NODE_DEFAULTS.handoffIntervalMs,
      handoffBatchCountMax: options.handoffBatchCountMax ?? NODE_DEFAULTS.handoffBatchCountMax,
      aeIntervalMs: options.aeIntervalMs ?? NODE_DEFAULTS.aeIntervalMs,
      tombstoneGraceMs: options.tombstoneGraceMs ?? NODE_DEFAULTS.tombstoneGraceMs,
      lwwPrefixes: options.lwwPrefixes ?? [],
      expiryPurgeIntervalMs: options.expiryPurgeIntervalMs ?? NODE_DEFAULTS.expiryPurgeIntervalMs,
      scrubIntervalMs: (options.scrubIntervalHours ?? NODE_DEFAULTS.scrubIntervalHours) * 3_600_000,
      scrubRecordsPerSec: options.scrubRecordsPerSec ?? NODE_DEFAULTS.scrubRecordsPerSec,
      siblingsMax: limits.siblingsMax,
      freshStore: identity.created,
    });
    await node.start();
    cleanups.push(() => node.stop());
    const app = buildHttpApi(node, {
      valueBytesMax: options.valueBytesMax,
      logger,
      dataDir: options.dataDir,
      ...(security.tokens === undefined ? {} : { authTokens: security.tokens }),
      ...(security.tls === undefined ? {} : { tls: security.tls }),
      limits,
      kvLimits: limits,
    });
    await app.listen({ host: options.httpHost, port: options.httpPort });
    cleanups.push(() => app.close());
    const reloadTokens = security.reloadTokens;
    const onHangup = (): void => {
      reloadTokens?.().then(
        (count) => logger.info({ tokens: count }, 'auth tokens reloaded'),
        (err: unknown) => logger.warn({ reason: (err as Error).message }, 'auth tokens not reloaded; the previous ones stay valid'),
      );
    };
    if (reloadTokens !== undefined) {
      process.on('SIGHUP', onHangup);
      cleanups.push(async () => void process.off('SIGHUP', onHangup));
    }
    // Only whether security is on, never a token or secret.
    const secured = { auth: security.tokens !== undefined, clusterSecret: security.clusterSecret !== undefined, tls: security.tls !== undefined };
    logger.info({ http: self.http, rpc: self.rpc, actor, dataDir: options.dataDir, ...secured }, 'ringkv node serving');

    let stopping: Promise<void> | undefined;
    return {
      id: options.id,
      httpAddress: self.http,
      rpcAddress: self.rpc,
      node,
      stop: () =>
        (stopping ??= (async () => {
          logger.info({}, 'stopping');
          process.off('SIGHUP', onHangup);
          try {
            await app.close();
            await node.stop();
            // A store that refuses writes (full, or stopped by a damaged block) cannot keep the mark: the stop is
            // still safe — the next start takes a new actor epoch, as after a crash.
            await markCleanShutdown(store).catch((err: unknown) => {
              if (!(err instanceof StoreFullError || err instanceof StoreDamagedError)) throw err;
              logger.warn({ err: err.message }, 'could not record a clean shutdown; the next start takes a new actor epoch');
            });
          } finally {
            await store.close();
          }
        })()),
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
