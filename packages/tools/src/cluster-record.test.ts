import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRecordedNode, readClusterRecord, recordPath, withNodePid, writeClusterRecord, type ClusterRecord } from './cluster-record.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const node = (i: number, pid: number | null) => ({
  index: i,
  id: `n${i}`,
  host: '127.0.0.1',
  httpPort: 7000 + i,
  rpcPort: 7100 + i,
  dataDir: `/d/n${i}`,
  logFile: `/d/n${i}.log`,
  args: ['node', '--id', `n${i}`],
  pid,
});
const record: ClusterRecord = {
  version: 1,
  startedAt: '2025-01-01T00:00:00.000Z',
  detached: true,
  supervisorPid: null,
  params: { nodes: 2, basePort: 7001, n: 2, r: 1, w: 1 },
  nodes: [node(1, 11), node(2, 12)],
};

describe('cluster record', () => {
  it('round-trips through cluster.json, and is absent before the first up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-record-'));
    dirs.push(dir);
    expect(await readClusterRecord(dir)).toBeUndefined();
    await writeClusterRecord(dir, record);
    expect(await readClusterRecord(dir)).toEqual(record);
    await writeFile(recordPath(dir), '{"version":2}');
    await expect(readClusterRecord(dir)).rejects.toThrow(/not a cluster record/);
  });

  it('finds nodes by id or number and updates one pid', () => {
    expect(findRecordedNode(record, '2').id).toBe('n2');
    expect(findRecordedNode(record, 'n1').pid).toBe(11);
    expect(() => findRecordedNode(record, 'n9')).toThrow('no node "n9" in this cluster (nodes: n1, n2)');
    expect(withNodePid(record, 'n2', null).nodes.map((n) => n.pid)).toEqual([11, null]);
  });
});
