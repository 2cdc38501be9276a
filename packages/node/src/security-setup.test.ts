import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InsecureBindError } from './bind-safety.js';
import { NODE_DEFAULTS, type NodeOptions } from './node-options.js';
import { loadSecurity } from './security-setup.js';

const a = 'token-aaaaaaaaaaaaaaaa';
const b = 'token-bbbbbbbbbbbbbbbb';
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-security-'));
  dirs.push(dir);
  return dir;
}

function options(overrides: Partial<NodeOptions>): NodeOptions {
  return {
    ...NODE_DEFAULTS,
    id: 'n1',
    dataDir: '/nonexistent',
    cluster: { n: 3, r: 2, w: 2, partitionCount: 256 },
    ...overrides,
  } as NodeOptions;
}

describe('loadSecurity', () => {
  it('reads the token file, re-reads it on reload, and keeps the old tokens when the file goes bad', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens');
    await writeFile(file, `# comment\n${a}\n\n`);
    const loaded = await loadSecurity(options({ security: { authTokenFile: file } }));
    expect(loaded.tokens?.accepts(a)).toBe(true);
    await writeFile(file, `${b}\n`);
    expect(await loaded.reloadTokens?.()).toBe(1);
    expect(loaded.tokens?.accepts(a)).toBe(false);
    expect(loaded.tokens?.accepts(b)).toBe(true);
    await writeFile(file, '# nothing\n');
    await expect(loaded.reloadTokens?.()).rejects.toThrow(/holds no token/);
    expect(loaded.tokens?.accepts(b)).toBe(true);
  });

  it('reads the cluster secret file without its newline, and refuses a short one without quoting it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'secret');
    await writeFile(file, 'sixteen-bytes-long!\n');
    expect((await loadSecurity(options({ security: { clusterSecretFile: file } }))).clusterSecret?.toString()).toBe('sixteen-bytes-long!');
    await writeFile(file, 'tiny\n');
    const failure = loadSecurity(options({ security: { clusterSecretFile: file } }));
    await expect(failure).rejects.toThrow(/at least 16 bytes \(got 4\)/);
    await expect(failure).rejects.not.toThrow(/tiny/);
  });

  it('refuses a non-loopback listener without protection, before reading TLS files', async () => {
    await expect(loadSecurity(options({ httpHost: '0.0.0.0' }))).rejects.toBeInstanceOf(InsecureBindError);
    await expect(loadSecurity(options({ rpcHost: '10.1.2.3', security: { authTokens: [a] } }))).rejects.toThrow(/--rpc 10\.1\.2\.3/);
    const open = await loadSecurity(options({ httpHost: '0.0.0.0', rpcHost: '0.0.0.0', security: { insecure: true } }));
    expect(open.tokens).toBeUndefined();
    await expect(loadSecurity(options({ security: { tls: { certFile: '/no/cert.pem', keyFile: '/no/key.pem' } } }))).rejects.toThrow(
      /--tls-cert \/no\/cert\.pem: cannot read it/,
    );
  });
});
