import { normalizeNodeUrl } from '@ringkv/client';
import { UsageError } from './usage-error.js';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:7001';
export const NODE_URL_ENV = 'RINGKV_NODE';

/**
 * The node URLs a client command talks to: `--node`, else $RINGKV_NODE, else
 * the first node of a local cluster. Several URLs separated by commas let the
 * client fall over to the next node when one is down.
 */
export function resolveNodeUrls(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string[] {
  const fromEnv = env[NODE_URL_ENV];
  const text = flag ?? (fromEnv === undefined || fromEnv.trim() === '' ? DEFAULT_NODE_URL : fromEnv);
  const source = flag !== undefined ? '--node' : fromEnv !== undefined && fromEnv.trim() !== '' ? `$${NODE_URL_ENV}` : 'default';
  const urls: string[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    try {
      urls.push(normalizeNodeUrl(part.trim()));
    } catch {
      throw new UsageError(`${source}: not a node URL: "${part.trim()}" (expected e.g. ${DEFAULT_NODE_URL})`);
    }
  }
  if (urls.length === 0) throw new UsageError(`${source}: no node URL given`);
  return urls;
}
