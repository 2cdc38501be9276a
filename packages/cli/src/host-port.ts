import { UsageError } from './usage-error.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT` (IPv6 as `[::1]:7001`). `flag` names the flag in the
 * error, so the user sees which of several addresses is wrong.
 */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):([0-9]+)$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: expected HOST:PORT (e.g. 127.0.0.1:7001), got "${text}"`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${flag}: port must be in 1..65535, got ${m[3] ?? ''}`);
  }
  return { host, port };
}

/** The canonical `host:port` text, bracketing IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
