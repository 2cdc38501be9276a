import { describe, expect, it } from 'vitest';
import { readNodeStatus } from './node-status.js';

describe('readNodeStatus', () => {
  it('reads the flat shape', () => {
    const s = readNodeStatus({ nodeId: 'n2', http: 'http://h:1', rpc: 'h:2', n: 3, r: 1, w: 3, partitionCount: 64, members: ['n1', 'n2'], partitionsOwned: 21, keys: 5 });
    expect(s).toMatchObject({ id: 'n2', httpAddress: 'http://h:1', rpcAddress: 'h:2', n: 3, r: 1, w: 3, partitionCount: 64, partitionsOwned: 21, keysStored: 5 });
    expect(s.members).toEqual([{ id: 'n1' }, { id: 'n2' }]);
  });

  it('reads members keyed by id, under ring', () => {
    const s = readNodeStatus({ id: 'n1', ring: { members: { n1: { state: 'alive', partitions: [0, 1] }, n3: {} } } });
    expect(s.members).toEqual([{ id: 'n1', state: 'alive', partitionsOwned: 2 }, { id: 'n3' }]);
  });

  it('has no members when the node lists none, and refuses a non-object', () => {
    expect(readNodeStatus({}).members).toEqual([]);
    expect(() => readNodeStatus([1])).toThrow(TypeError);
  });
});
