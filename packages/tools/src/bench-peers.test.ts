import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSystem, SkippedSystem, StartContext } from './bench-system.js';
import { startEtcdPeer } from './peer-etcd.js';
import { startFastifyPeer } from './peer-fastify.js';
import { findExecutable } from './peer-process.js';
import { startRedisPeer } from './peer-redis.js';

/**
 * Each peer of `scripts/bench --compare` starts from nothing in a temp dir,
 * stores and returns a value through its driver, and leaves no process behind.
 * Redis and etcd are skipped where they are not installed.
 */
const redisInstalled = (await findExecutable('redis-server')) !== undefined;
const etcdInstalled = (await findExecutable('etcd')) !== undefined;
const dirs: string[] = [];
const started: RunningSystem[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function context(): Promise<StartContext> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-bench-peer-'));
  dirs.push(dir);
  return { dir, valueBytes: 100 };
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function exercise(result: RunningSystem | SkippedSystem, processCount: number): Promise<void> {
  if ('skipped' in result) throw new Error(`unexpectedly skipped: ${result.skipped}`);
  started.push(result);
  const pids = result.processes().map((p) => p.pid);
  expect(pids).toHaveLength(processCount);
  expect(pids.every((pid) => pid !== undefined && isAlive(pid))).toBe(true);
  const driver = result.createDriver(4);
  try {
    if (result.stores) expect(await driver.read(7)).toBe('missing');
    await driver.write(7, Buffer.alloc(100, 1));
    expect(await driver.read(7)).toBe('found');
    expect(await driver.readModifyWrite(7, Buffer.alloc(100, 2))).toBe('found');
  } finally {
    await driver.close();
  }
  await result.stop();
  expect(pids.filter((pid) => pid !== undefined && isAlive(pid))).toEqual([]);
  expect(result.processes().every((p) => p.pid === undefined)).toBe(true);
}

describe('bench peers', () => {
  it('fastify no-op server', async () => {
    await exercise(await startFastifyPeer(await context()), 1);
  }, 60_000);

  it.runIf(redisInstalled)('Redis Cluster: 3 masters + 3 replicas', async () => {
    await exercise(await startRedisPeer(await context()), 6);
  }, 120_000);

  it.runIf(etcdInstalled)('etcd: 3 members', async () => {
    await exercise(await startEtcdPeer(await context()), 3);
  }, 120_000);
});
