import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeMemberTables, memberTablesEqual, parseMemberInfo, type MemberInfo, type MemberTable } from './member-table.js';

const member = fc.record({
  id: fc.constantFrom('n1', 'n2', 'n3', 'n4'),
  rpc: fc.constantFrom('127.0.0.1:7101', '127.0.0.1:7102', '10.0.0.1:9000'),
  http: fc.constantFrom('127.0.0.1:7001', '127.0.0.1:7002'),
  weight: fc.integer({ min: 1, max: 3 }),
  incarnation: fc.integer({ min: 0, max: 3 }),
});
const table = fc.array(member, { maxLength: 6 }).map((ms): MemberTable => mergeMemberTables(new Map(), ms));

describe('member table merge', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(table, table, table, (a, b, c) => {
        const ab = mergeMemberTables(a, b.values());
        const ba = mergeMemberTables(b, a.values());
        expect(memberTablesEqual(ab, ba)).toBe(true);
        const abc1 = mergeMemberTables(ab, c.values());
        const abc2 = mergeMemberTables(a, mergeMemberTables(b, c.values()).values());
        expect(memberTablesEqual(abc1, abc2)).toBe(true);
        expect(memberTablesEqual(mergeMemberTables(a, a.values()), a)).toBe(true);
      }),
    );
  });

  it('prefers the higher incarnation', () => {
    const old: MemberInfo = { id: 'n1', rpc: '127.0.0.1:1', http: '127.0.0.1:2', weight: 1, incarnation: 1 };
    const fresh = { ...old, rpc: '127.0.0.1:3', incarnation: 2 };
    expect(mergeMemberTables(new Map([['n1', fresh]]), [old]).get('n1')).toEqual(fresh);
  });

  it('rejects malformed entries from the network', () => {
    expect(parseMemberInfo({ id: 'n1', rpc: 'x', http: '127.0.0.1:1', weight: 1, incarnation: 0 })).toBeUndefined();
    expect(parseMemberInfo({ id: '../etc', rpc: '127.0.0.1:1', http: '127.0.0.1:1', weight: 1, incarnation: 0 })).toBeUndefined();
    expect(parseMemberInfo(null)).toBeUndefined();
    expect(parseMemberInfo({ id: 'n1', rpc: '127.0.0.1:1', http: '127.0.0.1:1', weight: 1, incarnation: 0 })).toBeDefined();
  });
});
