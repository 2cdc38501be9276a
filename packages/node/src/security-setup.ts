/**
 * Turns NodeSecurity (paths and flag values) into what the listeners use:
 * the token set, the cluster secret bytes, the TLS material. Everything is
 * read and checked before the node opens its store or a port, so a mistake
 * fails the start with a clear message instead of a half-secured node.
 */
import { bindProblems, InsecureBindError } from './bind-safety.js';
import { TokenSet, authTokenProblem } from './http-auth.js';
import type { NodeOptions } from './node-options.js';
import { checkClusterSecret, readClusterSecretFile, readTokenFile } from './secrets.js';
import { loadTlsFiles, type TlsFiles } from './tls-options.js';

export interface LoadedSecurity {
  readonly tokens: TokenSet | undefined;
  readonly clusterSecret: Buffer | undefined;
  readonly tls: TlsFiles | undefined;
  /** Re-reads the token file (SIGHUP); resolves to the number of tokens now valid. */
  readonly reloadTokens: (() => Promise<number>) | undefined;
}

export async function loadSecurity(options: NodeOptions): Promise<LoadedSecurity> {
  const security = options.security ?? {};
  const flagTokens = security.authTokens ?? [];
  for (const token of flagTokens) {
    const problem = authTokenProblem(token);
    if (problem !== undefined) throw new Error(`--auth-token: ${problem}`);
  }
  const tokenFile = security.authTokenFile;
  const fileTokens = tokenFile === undefined ? [] : await readTokenFile(tokenFile);
  const allTokens = [...flagTokens, ...fileTokens];
  const tokens = allTokens.length === 0 ? undefined : new TokenSet(allTokens);

  if (security.clusterSecret !== undefined && security.clusterSecretFile !== undefined) {
    throw new Error('give the cluster secret once: --cluster-secret or --cluster-secret-file, not both');
  }
  const clusterSecret =
    security.clusterSecretFile !== undefined
      ? await readClusterSecretFile(security.clusterSecretFile)
      : security.clusterSecret === undefined
        ? undefined
        : checkClusterSecret(security.clusterSecret, '--cluster-secret');

  const problems = bindProblems({
    httpHost: options.httpHost,
    rpcHost: options.rpcHost,
    hasAuthTokens: tokens !== undefined,
    hasClusterSecret: clusterSecret !== undefined,
    insecure: security.insecure === true,
  });
  if (problems.length > 0) throw new InsecureBindError(problems);

  const tls = security.tls === undefined ? undefined : await loadTlsFiles(security.tls);
  const reloadTokens =
    tokens === undefined || tokenFile === undefined
      ? undefined
      : async (): Promise<number> => {
          // A file that became unreadable or empty keeps the previous tokens: never open the node by accident.
          tokens.replace([...flagTokens, ...(await readTokenFile(tokenFile))]);
          return tokens.size;
        };
  return { tokens, clusterSecret, tls, reloadTokens };
}
