/**
 * Reading the node's secrets — client auth tokens and the cluster secret —
 * from flags and files. Secrets are never logged, never in /status or
 * /metrics: only their count or presence is.
 */
import { readFile } from 'node:fs/promises';
import { authTokenProblem } from './http-auth.js';

export const clusterSecretBytesMin = 16;

/** One token per line; blank lines and lines starting with `#` are skipped. */
export function parseTokenLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function readSecretText(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The tokens of a token file, checked; the error names the line, never the token. */
export async function readTokenFile(path: string): Promise<string[]> {
  const tokens = parseTokenLines(await readSecretText('--auth-token-file', path));
  tokens.forEach((token, i) => {
    const problem = authTokenProblem(token);
    if (problem !== undefined) throw new Error(`--auth-token-file ${path}: token ${i + 1}: ${problem}`);
  });
  if (tokens.length === 0) throw new Error(`--auth-token-file ${path}: holds no token`);
  return tokens;
}

export function checkClusterSecret(secret: string, source: string): Buffer {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < clusterSecretBytesMin) {
    throw new Error(`${source}: the cluster secret must have at least ${clusterSecretBytesMin} bytes (got ${bytes.length})`);
  }
  return bytes;
}

/** The cluster secret file's content without its trailing newline(s). */
export async function readClusterSecretFile(path: string): Promise<Buffer> {
  return checkClusterSecret((await readSecretText('--cluster-secret-file', path)).replace(/[\r\n]+$/, ''), `--cluster-secret-file ${path}`);
}
