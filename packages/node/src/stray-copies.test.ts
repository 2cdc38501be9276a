/**
 * ae.hints-any, asked of every member before a tombstone is collected: a node
 * answers "yes" when it could still send the partition's old versions back —
 * hints for it, or its data kept without being one of the asker's primaries
 * (an old owner draining it after a ring change; simulator seed 315).
 */
import { emptyDots, type Clock } from '@ringkv/core';
import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { AE_OPS, parseStrayCopiesBody } from './anti-entropy-ops.js';
import { AntiEntropy } from './anti-entropy.js';
import type { ClusterView } from './cluster-view.js';
import { silentLogger } from './logger.js';
import { PartitionTrees } from './partition-trees.js';
import { ReplicaService } from './replica-service.js';

const clock: Clock = { now: () => 1_000, setTimer: () => () => undefined };
const key = new TextEncoder().encode('k');

function node(id: string) {
  const store = new ReplicaStore(new MemoryStore());
  const trees = new PartitionTrees(store, 4, clock, silentLogger);
  const replica = new ReplicaService(store, `${id}#1`, { syncWrites: false }, trees);
  const view = { self: { id } } as unknown as ClusterView;
  const ae = new AntiEntropy({
    view,
    trees,
    replica,
    transport: undefined as never,
    clock,
    logger: silentLogger,
    isUp: () => true,
    settings: { intervalMs: 1000, requestTimeoutMs: 1000 },
  });
  const write = (hintFor?: string) =>
    replica.write(1, key, { context: emptyDots(), value: new TextEncoder().encode('v'), contentType: 't', writtenAt: 1 }, hintFor);
  const ask = async (primaries?: string[]) => ((await ae.serve(AE_OPS.hintsAny, { p: 1, ...(primaries && { primaries }) })) as { any: boolean }).any;
  return { write, ask };
}

describe('ae.hints-any: could this node send old versions of the partition back?', () => {
  it('no: it holds nothing of the partition', async () => {
    const n = node('n4');
    expect(await n.ask(['n1', 'n2', 'n3'])).toBe(false);
  });

  it('no: it holds the data as one of the primaries', async () => {
    const n = node('n2');
    await n.write();
    expect(await n.ask(['n1', 'n2', 'n3'])).toBe(false);
  });

  it('yes: it holds the data without being one of the primaries (an old owner draining it)', async () => {
    const n = node('n4');
    await n.write();
    expect(await n.ask(['n1', 'n2', 'n3'])).toBe(true);
    // An asker that predates the primaries list asks about hints alone.
    expect(await n.ask()).toBe(false);
  });

  it('yes: it holds a hint for the partition, primary or not', async () => {
    const n = node('n2');
    await n.write('n3');
    expect(await n.ask(['n1', 'n2', 'n3'])).toBe(true);
    expect(await n.ask()).toBe(true);
  });

  it('reads the body strictly', () => {
    expect(parseStrayCopiesBody({ p: 3 })).toEqual({ p: 3 });
    expect(parseStrayCopiesBody({ p: 3, prim: ['n1', 'n2'] })).toEqual({ p: 3, primaries: ['n1', 'n2'] });
    for (const bad of [{ p: 3, prim: 'n1' }, { p: 3, prim: [1] }, { p: 3, prim: ['bad id'] }, { p: -1 }, null]) {
      expect(parseStrayCopiesBody(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
