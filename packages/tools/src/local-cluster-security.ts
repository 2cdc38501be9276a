/**
 * Security for a LocalCluster: writes the token and cluster-secret files
 * (mode 0600, so the secrets are not in any command line), makes a throwaway
 * CA when TLS is wanted, and says which `ringkv node` flags and client
 * options go with them.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { clientSecurity } from './cluster-client.js';
import { createTestCa, type TestCa } from './test-ca.js';

export interface LocalClusterSecurity {
  /** clients must send this bearer token (the nodes get it through --auth-token-file) */
  readonly authToken?: string;
  /** the nodes prove this to each other on the RPC port (--cluster-secret-file) */
  readonly clusterSecret?: string;
  /** HTTPS for clients and TLS (mutual, with the test CA) on the RPC port */
  readonly tls?: boolean;
}

export interface ClusterSecurity {
  /** `ringkv node` flags for every node */
  readonly args: readonly string[];
  /** RingkvClient options that reach these nodes */
  readonly client: { readonly token?: string; readonly ca?: Buffer };
  /** where the files are (tests read them, e.g. to start an intruder with a wrong secret) */
  readonly files: { readonly tokenFile?: string; readonly secretFile?: string; readonly ca?: TestCa };
}

/**
 * Without `security`, nodes may still get security flags among the caller's
 * own (`scripts/cluster up -- --auth-token …`): the client is set up from those.
 */
export async function prepareClusterSecurity(
  dataDir: string,
  security: LocalClusterSecurity | undefined,
  extraArgs: readonly string[] = [],
): Promise<ClusterSecurity> {
  if (security === undefined) return { args: [], client: clientSecurity([{ args: extraArgs }]), files: {} };
  const dir = join(resolve(dataDir), 'security');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const args: string[] = [];
  let tokenFile: string | undefined;
  let secretFile: string | undefined;
  if (security.authToken !== undefined) {
    tokenFile = join(dir, 'auth-tokens');
    await writeFile(tokenFile, `# client tokens, one per line\n${security.authToken}\n`, { mode: 0o600 });
    args.push('--auth-token-file', tokenFile);
  }
  if (security.clusterSecret !== undefined) {
    secretFile = join(dir, 'cluster-secret');
    await writeFile(secretFile, `${security.clusterSecret}\n`, { mode: 0o600 });
    args.push('--cluster-secret-file', secretFile);
  }
  let ca: TestCa | undefined;
  if (security.tls === true) {
    ca = await createTestCa(join(dir, 'tls'));
    args.push('--tls-cert', ca.certFile, '--tls-key', ca.keyFile, '--tls-ca', ca.caFile);
  }
  return {
    args,
    client: {
      ...(security.authToken !== undefined && { token: security.authToken }),
      ...(ca !== undefined && { ca: await readFile(ca.caFile) }),
    },
    files: { ...(tokenFile !== undefined && { tokenFile }), ...(secretFile !== undefined && { secretFile }), ...(ca !== undefined && { ca }) },
  };
}
