/**
 * Safe defaults: a node reachable from other machines must not be open to
 * them. Listening on a non-loopback address needs client auth (for HTTP) or
 * the cluster secret (for RPC), unless the operator says `--insecure`
 * (e.g. a private network with its own firewall).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

export interface BindSafetyInput {
  readonly httpHost: string;
  readonly rpcHost: string;
  readonly hasAuthTokens: boolean;
  readonly hasClusterSecret: boolean;
  readonly insecure: boolean;
}

/** What is unsafe about these listen addresses, one message per listener; empty when nothing is. */
export function bindProblems(input: BindSafetyInput): string[] {
  if (input.insecure) return [];
  const problems: string[] = [];
  if (!isLoopbackHost(input.httpHost) && !input.hasAuthTokens) {
    problems.push(
      `--http ${input.httpHost} is not a loopback address and no --auth-token/--auth-token-file is set: ` +
        'anyone who reaches it could read and write every key. Set a token, bind 127.0.0.1, or pass --insecure.',
    );
  }
  if (!isLoopbackHost(input.rpcHost) && !input.hasClusterSecret) {
    problems.push(
      `--rpc ${input.rpcHost} is not a loopback address and no --cluster-secret/--cluster-secret-file is set: ` +
        'any process that reaches it could join the cluster and read or write replicas. Set a secret, bind 127.0.0.1, or pass --insecure.',
    );
  }
  return problems;
}

/** Thrown by startNode when bindProblems finds something. */
export class InsecureBindError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InsecureBindError';
  }
}
