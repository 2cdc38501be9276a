import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from './host-port.js';
import { UsageError } from './usage-error.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:7001', '127.0.0.1', 7001],
    ['localhost:1', 'localhost', 1],
    ['[::1]:65535', '::1', 65535],
    [' node-2.local:7101 ', 'node-2.local', 7101],
  ])('reads %s', (text, host, port) => {
    expect(parseHostPort(text, '--http')).toEqual({ host, port });
  });

  it.each(['127.0.0.1', ':7001', '127.0.0.1:', 'a:b', '::1:7001', 'http://h:1', 'h:0', 'h:65536', 'h:99999999'])('refuses %s naming the flag', (text) => {
    expect(() => parseHostPort(text, '--rpc')).toThrow(UsageError);
    expect(() => parseHostPort(text, '--rpc')).toThrow(/^--rpc: /);
  });

  it('formats IPv6 with brackets', () => {
    expect(formatHostPort({ host: '::1', port: 7 })).toBe('[::1]:7');
    expect(formatHostPort({ host: 'h', port: 7 })).toBe('h:7');
  });
});
