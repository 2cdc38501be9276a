import { describe, expect, it } from 'vitest';
import { resolveNodeUrls } from './node-target.js';

describe('resolveNodeUrls', () => {
  it('prefers the flag, then the environment, then the default', () => {
    expect(resolveNodeUrls('http://a:1', { RINGKV_NODE: 'http://b:2' })).toEqual(['http://a:1']);
    expect(resolveNodeUrls(undefined, { RINGKV_NODE: 'b:2' })).toEqual(['http://b:2']);
    expect(resolveNodeUrls(undefined, { RINGKV_NODE: ' ' })).toEqual(['http://127.0.0.1:7001']);
    expect(resolveNodeUrls(undefined, {})).toEqual(['http://127.0.0.1:7001']);
  });

  it('takes a comma-separated list', () => {
    expect(resolveNodeUrls('127.0.0.1:7001,http://127.0.0.1:7002/', {})).toEqual(['http://127.0.0.1:7001', 'http://127.0.0.1:7002']);
  });

  it('names the source of a bad URL', () => {
    expect(() => resolveNodeUrls('ftp://x', {})).toThrow(/^--node: not a node URL: "ftp:\/\/x"/);
    expect(() => resolveNodeUrls(undefined, { RINGKV_NODE: 'http://' })).toThrow(/^\$RINGKV_NODE: /);
    expect(() => resolveNodeUrls(',', {})).toThrow(/no node URL/);
  });
});
