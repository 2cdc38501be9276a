import { dataRange } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { SimCluster, defaultSimClusterOptions } from './sim-cluster.js';

/**
 * A scrub keeps to its rate (--scrub-rate): at full speed it takes a core
 * (measured: reads through another node of a 2-core machine fell by two
 * thirds while one node scrubbed 1 M records), so it is paced between
 * partitions. On simulated time: 1 500 records at 500 a second take at
 * least 3 s; without a limit, far less.
 */
async function scrubMs(scrubRecordsPerSec: number | undefined): Promise<{ ms: number; records: number }> {
  const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 3, seed: 5, ...(scrubRecordsPerSec !== undefined && { scrubRecordsPerSec }) });
  const node = cluster.machine('n1').node;
  if (node === undefined) throw new Error('n1 is down');
  const enc = new TextEncoder();
  for (let i = 0; i < 1500; i += 50) {
    await cluster.run(
      Promise.all(
        Array.from({ length: 50 }, (_, j) => node.coordinator.write({ key: enc.encode(`k${i + j}`), value: enc.encode('v'), contentType: 'text/plain', context: '', w: 3, pw: 0 })),
      ),
    );
  }
  const started = cluster.scheduler.elapsedMs;
  const outcome = await cluster.run(node.scrub(), 120_000);
  return { ms: cluster.scheduler.elapsedMs - started, records: outcome.records };
}

describe('scrub pacing', () => {
  it('reads no more records a second than --scrub-rate allows, and all of them', async () => {
    const paced = await scrubMs(500);
    expect(paced.records).toBe(1500);
    expect(paced.ms).toBeGreaterThanOrEqual(2900);
    expect(paced.ms).toBeLessThan(4500);
    const free = await scrubMs(undefined);
    expect(free.records).toBe(1500);
    expect(free.ms).toBeLessThan(1000);
  }, 60_000);
});

/**
 * Records stored before checksums (no envelope: a msgpack array first) are
 * read as they are; the scrub gives each its envelope, bytes unchanged, so an
 * upgraded store ends up fully checked.
 */
describe('scrub of a store written before checksums', () => {
  it('seals every legacy record once, leaving what it holds unchanged', async () => {
    const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 3, seed: 9 });
    const m1 = cluster.machine('n1');
    const n1 = m1.node;
    if (n1 === undefined) throw new Error('n1 is down');
    const enc = new TextEncoder();
    await cluster.run(
      Promise.all(Array.from({ length: 60 }, (_, i) => n1.coordinator.write({ key: enc.encode(`k${i}`), value: enc.encode(`v${i}`), contentType: 'text/plain', context: '', w: 3, pw: 0 }))),
    );
    // strip the envelope off every record on n1's disk: as an older ringkv wrote them
    const sealed: [Uint8Array, Uint8Array][] = [];
    for await (const [key, value] of m1.memory.iterate(dataRange())) sealed.push([key, value]);
    expect(sealed.length).toBe(60);
    expect(sealed.every(([, v]) => v[0] === 0xc1)).toBe(true);
    await m1.memory.write(sealed.map(([key, value]) => ({ type: 'put' as const, key, value: value.subarray(5) })));
    const first = await cluster.run(n1.scrub(), 60_000);
    expect(first).toMatchObject({ records: 60, corrupt: 0, resealed: 60 });
    const after: (readonly [Uint8Array, Uint8Array])[] = [];
    for await (const entry of m1.memory.iterate(dataRange())) after.push(entry);
    expect(after.map(([, v]) => Buffer.from(v).toString('hex'))).toEqual(sealed.map(([, v]) => Buffer.from(v).toString('hex')));
    expect(await cluster.run(n1.scrub(), 60_000)).toMatchObject({ records: 60, resealed: 0 });
    const read = await cluster.run(n1.coordinator.get({ key: enc.encode('k7'), r: 1, pr: 0 }));
    expect(new TextDecoder().decode(read.record?.siblings[0]?.value ?? new Uint8Array())).toBe('v7');
  }, 60_000);
});

describe('a scrub in a node that stops, or on a disk that refuses writes', () => {
  const enc = new TextEncoder();
  async function loaded(seed: number, scrubRecordsPerSec?: number) {
    const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 3, seed, ...(scrubRecordsPerSec !== undefined && { scrubRecordsPerSec }) });
    const m1 = cluster.machine('n1');
    const n1 = m1.node;
    if (n1 === undefined) throw new Error('n1 is down');
    await cluster.run(
      Promise.all(Array.from({ length: 60 }, (_, i) => n1.coordinator.write({ key: enc.encode(`k${i}`), value: enc.encode(`v${i}`), contentType: 'text/plain', context: '', w: 3, pw: 0 }))),
    );
    return { cluster, m1, n1 };
  }

  it('does not hold up the stop: a slow-paced scrub ends at its next step', async () => {
    const { cluster, n1 } = await loaded(13, 2); // 60 records at 2 a second: 30 s
    const scrub = n1.scrub();
    await cluster.scheduler.runFor(1000);
    const before = cluster.scheduler.elapsedMs;
    await cluster.run(Promise.all([cluster.stop('n1'), scrub]), 10_000);
    expect(cluster.scheduler.elapsedMs - before).toBeLessThan(2500);
  }, 60_000);

  it('goes on checking when the disk refuses the reseal writes', async () => {
    const { cluster, m1, n1 } = await loaded(14);
    const sealed: [Uint8Array, Uint8Array][] = [];
    for await (const [key, value] of m1.memory.iterate(dataRange())) sealed.push([key, value]);
    await m1.memory.write(sealed.map(([key, value]) => ({ type: 'put' as const, key, value: value.subarray(5) })));
    m1.diskFull = true;
    expect(await cluster.run(n1.scrub(), 60_000)).toMatchObject({ records: 60, corrupt: 0, resealed: 0 });
    expect(cluster.errors.filter((e) => e.node === 'n1' && e.msg.includes('scrub'))).toEqual([]);
  }, 60_000);
});
