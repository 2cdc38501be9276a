import { readFileSync } from 'node:fs';
import { RingkvClient } from '@ringkv/client';
import type { NodeSpec } from './node-process.js';

/** What a client needs to talk to nodes started with security flags. */
export interface ClientSecurity {
  readonly token?: string;
  readonly ca?: Buffer;
}

/** The value after `flag` in a node's arguments (the first one when repeated). */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The token and CA the script's own requests need, read from the flags the
 * nodes were started with (`--auth-token`, else the first token of
 * `--auth-token-file`, else $RINGKV_TOKEN; `--tls-ca`), so `status`, `add`,
 * `remove`, `start` and `seal` work on a cluster started with auth or TLS.
 */
export function clientSecurity(nodes: readonly Pick<NodeSpec, 'args'>[], env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  const args = nodes[0]?.args ?? [];
  let token = flagValue(args, '--auth-token');
  const tokenFile = flagValue(args, '--auth-token-file');
  if (token === undefined && tokenFile !== undefined) {
    token = readFileSync(tokenFile, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#'));
  }
  token ??= env['RINGKV_TOKEN'];
  const caFile = flagValue(args, '--tls-ca');
  return { ...(token === undefined ? {} : { token }), ...(caFile === undefined ? {} : { ca: readFileSync(caFile) }) };
}

/** A one-connection client for the script's admin requests to these node URLs. */
export function scriptClient(nodes: readonly Pick<NodeSpec, 'args'>[], urls: readonly string[], timeoutMs: number): RingkvClient {
  return new RingkvClient({ nodes: urls, timeoutMs, connectionsPerNode: 1, ...clientSecurity(nodes) });
}
