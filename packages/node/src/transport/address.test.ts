import { describe, expect, it } from 'vitest';
import { formatAddress, outboundLocalAddress, parseAddress } from './address.js';

describe('parseAddress', () => {
  it.each<[string, ReturnType<typeof parseAddress>]>([
    ['127.0.0.1:7000', { host: '127.0.0.1', port: 7000 }],
    ['node-3.internal:1', { host: 'node-3.internal', port: 1 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
    ['127.0.0.1', undefined],
    [':7000', undefined],
    ['host:0', undefined],
    ['host:65536', undefined],
    ['host:70a', undefined],
    ['host:', undefined],
    ['::1:7000', undefined],
    ['[::1:7000', undefined],
    ['[]:7000', undefined],
  ])('%s', (address, expected) => {
    expect(parseAddress(address)).toEqual(expected);
  });

  it('round-trips with formatAddress', () => {
    for (const [host, port] of [
      ['10.0.0.1', 80],
      ['::1', 7000],
      ['fe80::1', 1234],
    ] as const) {
      expect(parseAddress(formatAddress(host, port))).toEqual({ host, port });
    }
  });
});

describe('outboundLocalAddress', () => {
  it.each<[string, string | undefined]>([
    ['127.0.0.11', '127.0.0.11'],
    ['10.1.2.3', '10.1.2.3'],
    ['0.0.0.0', undefined],
    ['::', undefined],
    ['::1', undefined],
    ['localhost', undefined],
  ])('%s -> %s', (host, expected) => {
    expect(outboundLocalAddress(host)).toBe(expected);
  });
});
