import { resolve } from 'node:path';
import { NODE_LIMIT_DEFAULTS, HTTP_LIMIT_DEFAULTS, authTokenProblem, type NodeLimits, type NodeSecurity } from '@ringkv/node';

/** The `ringkv node` flags of security and client limits, as commander hands them over. */
export interface SecurityFlags {
  /** repeatable: several tokens are valid at once (rotation) */
  readonly authToken?: readonly string[];
  readonly authTokenFile?: string;
  readonly clusterSecret?: string;
  readonly clusterSecretFile?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly insecure?: boolean;
  readonly httpInflightMax?: string;
  readonly httpConnectionsMax?: string;
  readonly httpHeaderBytesMax?: string;
  readonly httpHeadersTimeoutMs?: string;
  readonly httpBodyTimeoutMs?: string;
  readonly httpIdleTimeoutMs?: string;
  readonly keyBytesMax?: string;
  readonly contextBytesMax?: string;
  readonly siblingsMax?: string;
  readonly rpcConnectionsMax?: string;
  readonly rpcHandshakeTimeoutMs?: string;
}

type IntFlag = (flag: string, text: string | undefined, fallback: number, lo: number, hi: number) => number;

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Security and limit flags → NodeSecurity and NodeLimits; problems are pushed
 * (never quoting a token or secret). Files are only resolved here; the node
 * reads them when it starts.
 */
export function parseSecurityFlags(
  flags: SecurityFlags,
  cwd: string,
  int: IntFlag,
  problems: string[],
): { security: NodeSecurity; limits: NodeLimits } {
  const tokens = flags.authToken ?? [];
  tokens.forEach((token, i) => {
    const problem = authTokenProblem(token);
    if (problem !== undefined) problems.push(`--auth-token #${i + 1}: ${problem}`);
  });
  if (flags.clusterSecret !== undefined && flags.clusterSecretFile !== undefined) {
    problems.push('--cluster-secret and --cluster-secret-file: give the secret once');
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) problems.push('--tls-cert and --tls-key go together');
  if (flags.tlsCa !== undefined && flags.tlsCert === undefined) problems.push('--tls-ca needs --tls-cert and --tls-key');
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(cwd, p));
  const security: NodeSecurity = {
    ...(tokens.length > 0 && { authTokens: tokens }),
    ...(flags.authTokenFile !== undefined && { authTokenFile: path(flags.authTokenFile) }),
    ...(flags.clusterSecret !== undefined && { clusterSecret: flags.clusterSecret }),
    ...(flags.clusterSecretFile !== undefined && { clusterSecretFile: path(flags.clusterSecretFile) }),
    ...(flags.tlsCert !== undefined &&
      flags.tlsKey !== undefined && {
        tls: { certFile: resolve(cwd, flags.tlsCert), keyFile: resolve(cwd, flags.tlsKey), ...(flags.tlsCa !== undefined && { caFile: resolve(cwd, flags.tlsCa) }) },
      }),
    ...(flags.insecure === true && { insecure: true }),
  };
  const h = HTTP_LIMIT_DEFAULTS;
  const d = NODE_LIMIT_DEFAULTS;
  const entries: [keyof NodeLimits, string | undefined, () => number][] = [
    ['inFlightCountMax', flags.httpInflightMax, () => int('--http-inflight-max', flags.httpInflightMax, h.inFlightCountMax, 1, 1_000_000)],
    ['connectionCountMax', flags.httpConnectionsMax, () => int('--http-connections-max', flags.httpConnectionsMax, h.connectionCountMax, 1, 1_000_000)],
    ['headerBytesMax', flags.httpHeaderBytesMax, () => int('--http-header-bytes-max', flags.httpHeaderBytesMax, h.headerBytesMax, 1024, 1024 * 1024)],
    ['headersTimeoutMs', flags.httpHeadersTimeoutMs, () => int('--http-headers-timeout-ms', flags.httpHeadersTimeoutMs, h.headersTimeoutMs, 100, 600_000)],
    ['requestTimeoutMs', flags.httpBodyTimeoutMs, () => int('--http-body-timeout-ms', flags.httpBodyTimeoutMs, h.requestTimeoutMs, 100, 3_600_000)],
    ['idleTimeoutMs', flags.httpIdleTimeoutMs, () => int('--http-idle-timeout-ms', flags.httpIdleTimeoutMs, h.idleTimeoutMs, 0, 3_600_000)],
    ['keyBytesMax', flags.keyBytesMax, () => int('--key-bytes-max', flags.keyBytesMax, d.keyBytesMax, 1, 1024)],
    ['contextBytesMax', flags.contextBytesMax, () => int('--context-bytes-max', flags.contextBytesMax, d.contextBytesMax, 64, 8192)],
    ['siblingsMax', flags.siblingsMax, () => int('--siblings-max', flags.siblingsMax, d.siblingsMax, 1, 100_000)],
    ['rpcConnectionsMax', flags.rpcConnectionsMax, () => int('--rpc-connections-max', flags.rpcConnectionsMax, d.rpcConnectionsMax, 1, 1_000_000)],
    ['rpcHandshakeTimeoutMs', flags.rpcHandshakeTimeoutMs, () => int('--rpc-handshake-timeout-ms', flags.rpcHandshakeTimeoutMs, d.rpcHandshakeTimeoutMs, 50, 60_000)],
  ];
  // Only flags given: the node applies its defaults to the rest.
  const limits: Record<string, number> = {};
  for (const [name, text, parse] of entries) if (text !== undefined) limits[name] = parse();
  return { security, limits: limits as NodeLimits };
}
