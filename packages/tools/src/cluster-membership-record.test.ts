import { describe, expect, it } from 'vitest';
import { nextNodeIndex, sharedNodeFlags, withAddedNode, withDepartedNode, type MembershipRecord } from './cluster-membership-record.js';
import type { RecordedNode } from './cluster-record.js';

const node = (i: number, extra: string[] = []): RecordedNode => ({
  index: i,
  id: `n${i}`,
  host: '127.0.0.1',
  httpPort: 7000 + i,
  rpcPort: 7100 + i,
  dataDir: `/d/n${i}`,
  logFile: `/d/n${i}.log`,
  args: ['node', '--id', `n${i}`, '--n', '3', '--r', '2', '--w', '2', ...extra],
  pid: 100 + i,
});

const record: MembershipRecord = {
  version: 1,
  startedAt: 'now',
  detached: true,
  supervisorPid: null,
  params: { nodes: 3, basePort: 7001, n: 3, r: 2, w: 2 },
  nodes: [node(1), node(2), node(3)],
};

describe('the membership record', () => {
  it('never gives a new node the id of a departed one', () => {
    const added = withAddedNode(record, node(4));
    expect(nextNodeIndex(added)).toBe(5);
    const left = withDepartedNode(added, 'n4', 'leave', new Date(0));
    expect(left.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    expect(left.departed).toEqual([{ id: 'n4', index: 4, dataDir: '/d/n4', logFile: '/d/n4.log', how: 'leave', at: '1970-01-01T00:00:00.000Z' }]);
    expect(nextNodeIndex(left)).toBe(5);
  });

  it('hands the flags of `up -- …` to the new node, but not a weight', () => {
    expect(sharedNodeFlags(node(1, ['--log-level', 'warn', '--weight', '3', '--gossip-interval-ms', '200']))).toEqual(['--log-level', 'warn', '--gossip-interval-ms', '200']);
    expect(sharedNodeFlags(node(1))).toEqual([]);
  });
});
