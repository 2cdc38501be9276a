import { isIPv4 } from 'node:net';

/**
 * RPC addresses are "host:port" strings; IPv6 hosts are bracketed
 * ("[::1]:7000") so the last colon always separates the port.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port"; undefined when malformed. */
export function parseAddress(address: string): HostPort | undefined {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || host.length < 3) return undefined;
    host = host.slice(1, -1);
  } else if (host.includes(':') || host.includes(']')) {
    // An unbracketed IPv6 literal is ambiguous about where the port starts.
    return undefined;
  }
  return { host, port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The source address for outbound RPC connections of a node listening on
 * `listenHost`: that address itself when it is one concrete IPv4 address (so
 * peers, and a firewall rule, can tell nodes sharing a machine apart), else
 * undefined (let the OS choose: a wildcard, IPv6 or a host name).
 */
export function outboundLocalAddress(listenHost: string): string | undefined {
  return isIPv4(listenHost) && listenHost !== '0.0.0.0' ? listenHost : undefined;
}
