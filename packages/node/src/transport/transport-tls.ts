/**
 * TLS for the RPC port. Every node holds a certificate; when a CA is given,
 * each side checks the other's certificate against it (mutual TLS: the
 * accepting side asks for a client certificate and refuses one the CA did not
 * sign), so the port serves only nodes of this deployment. Without a CA the
 * connecting side checks against the system's CAs and the accepting side does
 * not ask for a certificate.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls';

/** PEM contents, already read from their files. */
export interface TransportTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

export function tlsServerOptions(tls: TransportTls, handshakeTimeoutMs: number): TlsOptions {
  const mutual = tls.ca !== undefined;
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    requestCert: mutual,
    rejectUnauthorized: mutual,
    // A client that stalls inside the TLS handshake is cut off like one that stalls in ours.
    handshakeTimeout: handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  };
}

/** Options for tls.connect to a peer at `host` (its certificate must name that host or IP). */
export function tlsConnectOptions(tls: TransportTls, host: string): ConnectionOptions {
  return {
    host,
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}
