import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSecurity } from './cluster-client.js';

describe('clientSecurity (what scripts/cluster sends to nodes started with auth or TLS)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringkv-cluster-client-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends nothing for nodes started without security flags', () => {
    expect(clientSecurity([{ args: ['node', '--id', 'n1'] }], {})).toEqual({});
  });

  it('takes --auth-token, else the first token of --auth-token-file, else $RINGKV_TOKEN', async () => {
    expect(clientSecurity([{ args: ['node', '--auth-token', 'a-token-of-16-chars', '--auth-token', 'second-token-xxxxx'] }], {}).token).toBe('a-token-of-16-chars');
    const file = join(dir, 'tokens');
    await writeFile(file, '# rotated 2026-11\n\nfrom-the-file-token-1\nfrom-the-file-token-2\n');
    expect(clientSecurity([{ args: ['node', '--auth-token-file', file] }], {}).token).toBe('from-the-file-token-1');
    expect(clientSecurity([{ args: ['node'] }], { RINGKV_TOKEN: 'from-the-environment' }).token).toBe('from-the-environment');
  });

  it('verifies https nodes against --tls-ca', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n');
    expect(clientSecurity([{ args: ['node', '--tls-ca', ca] }], {}).ca?.toString()).toContain('stand-in');
  });
});
