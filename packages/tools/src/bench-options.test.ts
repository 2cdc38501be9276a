import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './bench-options.js';
import { formatEta } from './bench-progress.js';

const quiet = <T>(fn: () => T): T => {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return fn();
  } finally {
    process.stderr.write = write;
  }
};

describe('parseBenchArgs', () => {
  it('has the documented defaults', () => {
    const { config, peers, jsonFile } = parseBenchArgs([]);
    expect(config).toMatchObject({ nodes: 3, n: 3, r: 2, w: 2, clients: 50, valueBytes: 100, records: 100_000, durationS: 10, warmupS: 5, distribution: 'zipfian', sync: false, dw: 0, policy: 'siblings', compact: true });
    expect(config.workloads).toEqual(['C', 'A', 'PUT']);
    expect(peers).toEqual([]);
    expect(jsonFile).toBeUndefined();
  });

  it('takes every flag, derives the quorum from --nodes, and picks peers', () => {
    const { config, peers, jsonFile } = parseBenchArgs(['--workload', 'a,f', '--distribution', 'uniform', '--nodes', '1', '--sync', '--compare', 'etcd,redis', '--json', 'out.json', '--records', '5000000', '--cache-mb', '64', '--max-open-files', '64', '--write-buffer-mb', '8', '--table-reads', 'mmap', '--policy', 'lww', '--no-compact', '--warmup', '0', '--dw', '1']);
    expect(config).toMatchObject({ warmupS: 0, nodes: 1, n: 1, r: 1, w: 1, sync: true, dw: 1, distribution: 'uniform', records: 5_000_000, cacheMb: 64, maxOpenFiles: 64, writeBufferMb: 8, tableReads: 'mmap', policy: 'lww', compact: false });
    expect(config.workloads).toEqual(['A', 'F']);
    expect(peers).toEqual(['etcd', 'redis']);
    expect(jsonFile).toBe('out.json');
    expect(parseBenchArgs(['--compare']).peers).toEqual(['fastify', 'redis', 'etcd']);
  });

  it('rejects bad combinations with a usage error', () => {
    for (const argv of [['--workload', 'Z'], ['--nodes', '2', '--n', '3'], ['--r', '4'], ['--compare', 'mongo'], ['--distribution', 'hotspot'], ['--policy', 'newest'], ['--clients', '0'], ['--warmup', '-1'], ['--dw', '4'], ['--dw', '-1']]) {
      expect(() => quiet(() => parseBenchArgs(argv))).toThrow(CommanderError);
    }
  });
});

describe('formatEta', () => {
  it('prints m:ss or h:mm:ss', () => {
    expect(formatEta(65)).toBe('1:05');
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
