import { describe, expect, it } from 'vitest';
import { parseNodeFlags, type NodeFlags } from './node-flags.js';
import { UsageError } from './usage-error.js';

const base: NodeFlags = { id: 'n1', data: 'data/n1' };
const token = 'tok-0123456789abcdef';

function problemsOf(flags: NodeFlags): string {
  try {
    parseNodeFlags(flags, '/work');
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return '';
}

describe('security flags', () => {
  it('adds no security and no limits when none is given', () => {
    const o = parseNodeFlags(base, '/work');
    expect(o.security).toBeUndefined();
    expect(o.limits).toBeUndefined();
  });

  it('reads tokens (repeated), files, the secret, TLS and --insecure, resolving paths', () => {
    const o = parseNodeFlags(
      {
        ...base,
        authToken: [token, `${token}-2`],
        authTokenFile: 'tokens',
        clusterSecretFile: 'secret',
        tlsCert: 'c.pem',
        tlsKey: 'k.pem',
        tlsCa: 'ca.pem',
        insecure: true,
      },
      '/work',
    );
    expect(o.security).toEqual({
      authTokens: [token, `${token}-2`],
      authTokenFile: '/work/tokens',
      clusterSecretFile: '/work/secret',
      tls: { certFile: '/work/c.pem', keyFile: '/work/k.pem', caFile: '/work/ca.pem' },
      insecure: true,
    });
  });

  it('reads the limits given and only those', () => {
    const o = parseNodeFlags({ ...base, httpInflightMax: '7', siblingsMax: '12', contextBytesMax: '4096', keyBytesMax: '100' }, '/work');
    expect(o.limits).toEqual({ inFlightCountMax: 7, siblingsMax: 12, contextBytesMax: 4096, keyBytesMax: 100 });
    expect(problemsOf({ ...base, keyBytesMax: '2048' })).toMatch(/^--key-bytes-max: expected an integer in 1\.\.1024/);
    expect(problemsOf({ ...base, httpInflightMax: '0' })).toMatch(/^--http-inflight-max/);
  });

  it('refuses short tokens and secrets without quoting them', () => {
    const message = problemsOf({ ...base, authToken: ['short-secret'] });
    expect(message).toMatch(/--auth-token #1: an auth token must have at least 16 characters/);
    expect(message).not.toContain('short-secret');
    expect(problemsOf({ ...base, clusterSecret: 'x'.repeat(20), clusterSecretFile: 's' })).toMatch(/give the secret once/);
    expect(problemsOf({ ...base, tlsCert: 'c.pem' })).toMatch(/--tls-cert and --tls-key go together/);
  });

  it('refuses a non-loopback listener without auth, per listener, unless --insecure', () => {
    const open = problemsOf({ ...base, http: '0.0.0.0:7001', rpc: '0.0.0.0:7101' });
    expect(open).toMatch(/--http 0\.0\.0\.0 is not a loopback address and no --auth-token/);
    expect(open).toMatch(/--rpc 0\.0\.0\.0 is not a loopback address and no --cluster-secret/);
    // A token covers HTTP only; the RPC port needs the secret.
    const rpcOnly = problemsOf({ ...base, http: '0.0.0.0:7001', rpc: '0.0.0.0:7101', authToken: [token] });
    expect(rpcOnly).not.toMatch(/--http/);
    expect(rpcOnly).toMatch(/--rpc 0\.0\.0\.0/);
    expect(problemsOf({ ...base, http: '0.0.0.0:7001', rpc: '10.0.0.5:7101', authTokenFile: 't', clusterSecret: 's'.repeat(16) })).toBe('');
    expect(problemsOf({ ...base, http: '0.0.0.0:7001', rpc: '0.0.0.0:7101', insecure: true })).toBe('');
    // Loopback addresses are fine without anything.
    expect(problemsOf({ ...base, http: '127.0.0.12:7001', rpc: '[::1]:7101' })).toBe('');
    expect(problemsOf({ ...base, http: 'localhost:7001' })).toBe('');
  });
});
