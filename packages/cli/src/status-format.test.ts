import { readNodeStatus } from '@ringkv/client';
import { describe, expect, it } from 'vitest';
import { formatStatus } from './status-format.js';

describe('formatStatus', () => {
  it('summarises the node and tabulates the members, marking this node', () => {
    const status = readNodeStatus({
      id: 'n1',
      http: '127.0.0.1:7001',
      rpc: '127.0.0.1:7101',
      cluster: { n: 3, r: 2, w: 2, partitions: 256 },
      members: [
        { id: 'n1', http: '127.0.0.1:7001', rpc: '127.0.0.1:7101', partitions: 86 },
        { id: 'n2', http: '127.0.0.1:7002', rpc: '127.0.0.1:7102', partitions: 85, state: 'alive' },
      ],
      partitionsOwned: 86,
      keysStored: 12,
    });
    expect(formatStatus(status, 'http://127.0.0.1:7001')).toBe(
      [
        'node       n1  (asked http://127.0.0.1:7001)',
        'http       127.0.0.1:7001',
        'rpc        127.0.0.1:7101',
        'cluster    N=3 R=2 W=2  partitions 256',
        'owns       86 partitions',
        'stores     12 keys',
        '',
        'members    2',
        '  ID  HTTP            RPC             STATE  PARTITIONS',
        '* n1  127.0.0.1:7001  127.0.0.1:7101  -      86',
        '  n2  127.0.0.1:7002  127.0.0.1:7102  alive  85',
        '',
      ].join('\n'),
    );
  });

  it('shows dashes for what the node does not report', () => {
    const text = formatStatus(readNodeStatus({}), 'http://x:1');
    expect(text).toContain('node       -  (asked http://x:1)');
    expect(text).toContain('members    none known');
  });
});
