import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

export const TOKEN_ENV = 'RINGKV_TOKEN';
export const CA_ENV = 'RINGKV_CA';

/** The global `--token` / `--ca` flags of this run (set by the program before a command's action runs). */
export interface CredentialFlags {
  readonly token?: string;
  readonly ca?: string;
}

let flagsOfThisRun: CredentialFlags = {};

export function setCredentialFlags(flags: CredentialFlags): void {
  flagsOfThisRun = { ...flags };
}

/**
 * What a client command authenticates with: `--token`, else $RINGKV_TOKEN;
 * `--ca FILE`, else $RINGKV_CA, to trust a private CA for https:// nodes.
 * (Prefer the environment for the token: a flag shows in `ps`.)
 */
export function resolveCredentials(env: Readonly<Record<string, string | undefined>>): { token?: string; ca?: Buffer } {
  const token = flagsOfThisRun.token ?? nonEmpty(env[TOKEN_ENV]);
  const caFile = flagsOfThisRun.ca ?? nonEmpty(env[CA_ENV]);
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw new UsageError(`--ca ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return { ...(token !== undefined && { token }), ...(ca !== undefined && { ca }) };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}
