import { describe, expect, it } from 'vitest';
import { parseNodeFlags, type NodeFlags } from './node-flags.js';
import { UsageError } from './usage-error.js';

const base: NodeFlags = { id: 'n1', http: '127.0.0.1:7001', rpc: '127.0.0.1:7101', data: 'data/n1' };

function problemsOf(flags: NodeFlags): string {
  try {
    parseNodeFlags(flags, '/work');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseNodeFlags', () => {
  it('fills the defaults and resolves the data directory', () => {
    expect(parseNodeFlags(base, '/work')).toEqual({
      id: 'n1',
      httpHost: '127.0.0.1',
      httpPort: 7001,
      rpcHost: '127.0.0.1',
      rpcPort: 7101,
      dataDir: '/work/data/n1',
      seeds: [],
      cluster: { n: 3, r: 2, w: 2, partitionCount: 256 },
      clusterName: 'ringkv',
      weight: 1,
      requestTimeoutMs: 2000,
      valueBytesMax: 1048576,
      syncWrites: false,
      logLevel: 'info',
      gossipIntervalMs: 500,
      handoffIntervalMs: 500,
      handoffBatchCountMax: 200,
      aeIntervalMs: 1000,
      tombstoneGraceMs: 60_000,
    });
  });

  it('reads repeated --lww-prefix flags, without duplicates, and refuses an empty prefix', () => {
    expect(parseNodeFlags({ ...base, lwwPrefix: ['cache/', 'session:', 'cache/'] }, '/').lwwPrefixes).toEqual(['cache/', 'session:']);
    expect(parseNodeFlags(base, '/').lwwPrefixes).toBeUndefined();
    expect(problemsOf({ ...base, lwwPrefix: [''] })).toMatch(/--lww-prefix/);
  });

  it('reads every flag', () => {
    const o = parseNodeFlags(
      {
        ...base,
        http: '0.0.0.0:8001',
        rpc: '[::1]:8101',
        // 0.0.0.0 without a token is refused unless the operator insists (see security-flags.test.ts).
        insecure: true,
        seeds: '127.0.0.1:7101, 127.0.0.1:7102,127.0.0.1:7101,',
        n: '5',
        r: '3',
        w: '4',
        partitions: '1024',
        clusterName: 'prod-a',
        weight: '3',
        requestTimeoutMs: '500',
        valueBytesMax: '4096',
        sync: true,
        logLevel: 'warn',
        gossipIntervalMs: '100',
        maxOpenFiles: '64',
        writeBufferMb: '8',
      },
      '/',
    );
    expect(o).toMatchObject({
      httpHost: '0.0.0.0',
      httpPort: 8001,
      rpcHost: '::1',
      rpcPort: 8101,
      seeds: ['127.0.0.1:7101', '127.0.0.1:7102'],
      cluster: { n: 5, r: 3, w: 4, partitionCount: 1024 },
      clusterName: 'prod-a',
      weight: 3,
      requestTimeoutMs: 500,
      valueBytesMax: 4096,
      syncWrites: true,
      logLevel: 'warn',
      gossipIntervalMs: 100,
      maxOpenFiles: 64,
      writeBufferMb: 8,
    });
  });

  it.each<[string, NodeFlags, RegExp]>([
    ['a bad id', { ...base, id: 'n 1' }, /^--id: /],
    ['a missing data dir', { ...base, data: ' ' }, /^--data: /],
    ['a port out of range', { ...base, http: '127.0.0.1:70000' }, /^--http: port must be in 1\.\.65535/],
    ['an address without port', { ...base, rpc: 'localhost' }, /^--rpc: expected HOST:PORT/],
    ['a bad seed', { ...base, seeds: '127.0.0.1:7101,nope' }, /^--seeds: expected HOST:PORT/],
    ['the same address twice', { ...base, rpc: '127.0.0.1:7001' }, /--http and --rpc must be different/],
    ['r above n', { ...base, n: '2', r: '3' }, /r must be an integer in 1\.\.2/],
    ['w of zero', { ...base, w: '0' }, /^--w: expected an integer/],
    ['partitions not a power of two', { ...base, partitions: '100' }, /power of two/],
    ['a non-numeric timeout', { ...base, requestTimeoutMs: '2s' }, /^--request-timeout-ms: /],
    ['a value limit too large', { ...base, valueBytesMax: String(2 ** 30) }, /^--value-bytes-max: /],
    ['a zero weight', { ...base, weight: '0' }, /^--weight: /],
    ['an unknown log level', { ...base, logLevel: 'loud' }, /^--log-level: expected one of fatal/],
    ['a too-fast gossip', { ...base, gossipIntervalMs: '1' }, /^--gossip-interval-ms: /],
    ['too few open tables', { ...base, maxOpenFiles: '8' }, /^--max-open-files: /],
    ['a zero write buffer', { ...base, writeBufferMb: '0' }, /^--write-buffer-mb: /],
    ['an unknown way of reading tables', { ...base, tableReads: 'direct' }, /^--table-reads: expected one of pread, mmap, got "direct"/],
  ])('refuses %s', (_name, flags, message) => {
    expect(problemsOf(flags)).toMatch(message);
  });

  it('passes --table-reads on only when given (the node applies its default, pread)', () => {
    expect(parseNodeFlags({ ...base, tableReads: 'mmap' }, '/work')).toMatchObject({ tableReads: 'mmap' });
    expect(parseNodeFlags(base, '/work')).not.toHaveProperty('tableReads');
  });

  it('reads the advertised addresses and the test-only clock offset', () => {
    const o = parseNodeFlags(
      { ...base, insecure: true, http: '0.0.0.0:7001', rpc: '0.0.0.0:7101', advertise: 'n1:7001', advertiseRpc: 'n1:7101', clockOffsetMs: '-2500', clockOffsetFile: 'skew' },
      '/work',
    );
    expect(o).toMatchObject({ httpHost: '0.0.0.0', advertiseHttp: 'n1:7001', advertiseRpc: 'n1:7101', clockOffsetMs: -2500, clockOffsetFile: '/work/skew' });
    expect(parseNodeFlags(base, '/work')).not.toHaveProperty('advertiseRpc');
    expect(problemsOf({ ...base, advertiseRpc: '0.0.0.0:7101' })).toMatch(/--advertise-rpc: 0\.0\.0\.0:7101 is not an address/);
    expect(problemsOf({ ...base, advertise: 'n1' })).toMatch(/--advertise: expected HOST:PORT/);
    expect(problemsOf({ ...base, clockOffsetMs: '1.5s' })).toMatch(/--clock-offset-ms/);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ id: '', data: '', http: 'x', n: 'three' }).split('\n')).toHaveLength(4);
  });
});
