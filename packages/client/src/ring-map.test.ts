import { encodeKey, partitionOfKey } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { readRing, routeKey, type RingMap } from './ring-map.js';

/** 4 partitions over 4 nodes, N=2: partition p is on [n(p), n(p+1)]. */
function ring(down: string[] = []): RingMap {
  const ids = ['a', 'b', 'c', 'd'];
  return {
    epoch: 1,
    partitionCount: 4,
    n: 2,
    nodes: new Map(ids.map((id, i) => [id, { http: `127.0.0.1:${7001 + i}`, up: !down.includes(id) }])),
    partitions: [0, 1, 2, 3].map((p) => [ids[p] ?? '', ids[(p + 1) % 4] ?? '']),
  };
}

/** A key of partition p (of 4). */
function keyIn(p: number): Uint8Array {
  for (let i = 0; ; i++) {
    const k = encodeKey(`key-${i}`);
    if (partitionOfKey(k, 4) === p) return k;
  }
}

describe('routeKey', () => {
  it('sends writes to the first up primary, then the other primary, then the other nodes', () => {
    expect(routeKey(ring(), keyIn(2), 'write', 0).targets).toEqual(['c', 'd', 'a', 'b']);
    // the turn does not move the write coordinator
    expect(routeKey(ring(), keyIn(2), 'write', 5).targets.slice(0, 2)).toEqual(['c', 'd']);
  });

  it('rotates reads over the replicas', () => {
    const firsts = [0, 1, 2, 3].map((turn) => routeKey(ring(), keyIn(1), 'read', turn).targets[0]);
    expect(firsts).toEqual(['b', 'c', 'b', 'c']);
    expect(routeKey(ring(), keyIn(1), 'read', 1).targets.slice(0, 2)).toEqual(['c', 'b']);
  });

  it('puts down and avoided replicas last, behind up non-replicas', () => {
    expect(routeKey(ring(['c']), keyIn(2), 'write', 0).targets).toEqual(['d', 'a', 'b', 'c']);
    expect(routeKey(ring(), keyIn(2), 'write', 0, new Set(['c', 'd'])).targets).toEqual(['a', 'b', 'c', 'd']);
  });

  it('flags a replica the map has no address for', () => {
    const r = ring();
    const stale: RingMap = { ...r, partitions: [['a', 'z'], ...r.partitions.slice(1)] };
    const route = routeKey(stale, keyIn(0), 'write', 0);
    expect(route.unknownReplica).toBe(true);
    expect(route.targets).not.toContain('z');
    expect(routeKey(r, keyIn(0), 'write', 0).unknownReplica).toBe(false);
  });
});

describe('readRing', () => {
  const json = {
    epoch: 2,
    partitionCount: 2,
    n: 1,
    r: 1,
    w: 1,
    hash: 'md5',
    nodes: { a: { http: 'h:1', state: 'up' }, b: { http: 'h:2', state: 'suspect' } },
    partitions: [['a'], ['b']],
    transferring: [],
  };

  it('keeps addresses, up-ness and the preference lists', () => {
    const r = readRing(json);
    expect(r.epoch).toBe(2);
    expect(r.nodes.get('a')).toEqual({ http: 'h:1', up: true });
    expect(r.nodes.get('b')).toEqual({ http: 'h:2', up: false });
    expect(r.partitions).toEqual([['a'], ['b']]);
  });

  it('refuses what it cannot route by', () => {
    expect(() => readRing({ ...json, hash: 'sha1' })).toThrow(/hash/);
    expect(() => readRing({ ...json, partitions: [['a']] })).toThrow(/2 partitions/);
    expect(() => readRing({ ...json, nodes: { a: { state: 'up' } } })).toThrow(/http/);
    expect(() => readRing({ ...json, partitionCount: 0 })).toThrow();
    expect(() => readRing('<html>')).toThrow();
  });
});
